// The case pages in a browser, on the living demo (issue 10: "a prosecutor
// opens a case, issues a suggestion and sees its deadline; a chief
// decides"): a prosecutor of 平城区 opens the case list and its queues,
// opens an administrative case at the stage before the suggestion (调查 or
// 磋商); the chief decides the suggestion (发出检察建议) and issues the
// 检察建议书; the prosecutor serves it (送达检察建议) and finds the
// organ's reply deadline (2 months, 15 days when harm is ongoing) in 期限
// with its due day; records an impact figure and sees the sum; opens a
// document's text.  axe and a screenshot on the list and each section.
import { start } from "../lib/staff.mjs";

const t = await start("30-cases");

/** A Beijing day (YYYY-MM-DD, or 2026/11/29 as the pages write times) as UTC ms. */
function day(s) {
  const m = /(\d{4})[-/](\d{2})[-/](\d{2})/.exec(s);
  if (!m) throw new Error(`no day in "${s}"`);
  return Date.UTC(+m[1], +m[2] - 1, +m[3]);
}
const DAY = 86400000;

async function openList(page, qs = "") {
  const answered = page.waitForResponse((r) => r.url().includes("/api/v1/workflow/cases?"));
  await page.goto(t.base + "/work/cases" + qs);
  const r = await answered;
  if (!r.ok()) t.fail(`GET cases${qs} answered ${r.status()}`);
  await page.locator('[data-test="cases-table"], .el-empty').first().waitFor();
}

async function openCase(page, id) {
  await page.goto(`${t.base}/work/cases/${id}`);
  await page.locator('[data-test="case-title"]').waitFor();
}

async function tab(page, name) {
  await page.getByRole("tab", { name, exact: true }).click();
  await page.locator(`[role="tabpanel"]:visible`).first().waitFor();
}

/** Takes a step through its dialog; returns the lines of what it changed. */
async function step(page, event, fill = async () => undefined) {
  await page.locator(`[data-step="${event}"]`).click();
  const dialog = page.locator('[data-test="step-dialog"]');
  await dialog.locator("#step-reason").waitFor();
  await fill(dialog);
  await dialog.locator("#step-reason").fill("浏览器测试：" + event);
  await dialog.locator('[data-test="step-send"]').click();
  const result = page.locator('[data-test="step-result"]');
  const refused = page.locator('[data-test="step-error"]');
  await result.or(refused).first().waitFor();
  if (await refused.count()) throw new Error(`the step ${event} was refused: ${await refused.innerText()}`);
  return result.locator('[data-test="deadline-change"]').allInnerTexts();
}

await t.run(async () => {
  t.step("a prosecutor of 平城区 opens the case list and its queues");
  const page0 = await t.signIn(t.person({ role: "prosecutor", procuratorate: "140213" }));
  await openList(page0);
  if (!(await page0.locator('[data-test="cases-table"] a').count())) t.fail("the demo's cases are not listed");
  await t.audit(page0, "list");
  for (const [queue, label] of [["overdue", "已超期"], ["due_soon", "即将到期"]]) {
    const answered = page0.waitForResponse((r) => r.url().includes(`queue=${queue}`));
    await page0.locator('[data-test="queue"]').getByText(label, { exact: true }).click();
    await answered;
    await page0.waitForURL((u) => u.searchParams.get("queue") === queue);
    await page0.locator('[data-test="cases-table"], .el-empty').first().waitFor();
    // 平城区 has a missed reply period (case H); its due-soon case is 云冈区's
    if (queue === "overdue" && !(await page0.locator('[data-test="cases-table"] a').count()))
      t.fail(`the queue ${label} is empty on the demo`);
    await t.audit(page0, `list-${queue}`);
  }

  // An administrative case before the suggestion: 平城区's first, else
  // another office's (the demo's 平城区 cases may all be past it).
  t.step("find an administrative case before the suggestion");
  let page = page0;
  let office = "140213";
  let caseId = null;
  let opened = false;
  for (const proc of ["140213", "140214", "140200"]) {
    if (proc !== "140213") {
      page = await t.signIn(t.person({ role: "prosecutor", procuratorate: proc }));
      office = proc;
    }
    for (const stage of ["investigating", "consulting", "opened"]) {
      await openList(page, `?stage=${stage}&kind=administrative&procuratorate=${proc}`);
      const link = page.locator('[data-test="cases-table"] a').first();
      if (await link.count()) {
        caseId = (await link.getAttribute("href")).split("/").pop();
        opened = stage === "opened";
        break;
      }
    }
    if (caseId) break;
  }
  if (!caseId) throw new Error("the demo has no administrative case before the suggestion");
  t.result.office = office;

  t.step("the prosecutor opens the case and each of its sections");
  await openCase(page, caseId);
  if (opened) await step(page, "serve_opening_decision");
  if (await page.locator('[data-step="issue_suggestion"]').count())
    t.fail("a prosecutor is offered 发出检察建议, the chief's decision");
  await t.audit(page, "case");
  for (const [key, name] of [["deadlines", "期限"], ["documents", "文书"], ["hearings", "听证"],
    ["consultations", "专家咨询"], ["supervision", "跟踪观察"], ["impact", "成效"]]) {
    await tab(page, name);
    await t.audit(page, `case-${key}`);
  }

  t.step("the chief decides the suggestion and issues the 检察建议书");
  const boss = await t.signIn(t.person({ role: "chief_prosecutor", procuratorate: office }));
  await openCase(boss, caseId);
  const decided = await step(boss, "issue_suggestion");
  const stateAfter = await boss.locator('[data-test="case-state"]').innerText();
  if (stateAfter !== "已发出检察建议") t.fail(`after 发出检察建议 the case is ${stateAfter}`);
  if (!decided.some((l) => l.startsWith("新期限：")))
    t.fail(`发出检察建议 started no deadline it showed: ${decided.join(" / ")}`);
  await boss.locator('[data-test="issue-from-step"]').click();
  const issue = boss.locator('[data-test="issue-dialog"]');
  await issue.locator("#doc-recipient").waitFor();
  await issue.locator("#doc-recipient").fill("大同市生态环境局");
  await issue.locator('[data-test="doc-send"]').click();
  await boss.getByText(/已签发 .+号/).waitFor();
  await t.audit(boss, "case-documents-issued");

  t.step("the prosecutor serves the suggestion and sees the organ's reply deadline");
  await openCase(page, caseId);
  let harm = false;
  const changes = await step(page, "serve_suggestion", async (dialog) => {
    harm = await dialog.locator('[data-test="step-harm"] input[type="checkbox"]').isChecked();
  });
  const started = changes.map((l) => /^新期限：(.+) 截止 (\d{4}-\d{2}-\d{2})/.exec(l)).find(Boolean);
  if (!started) throw new Error(`送达检察建议 showed no new deadline: ${changes.join(" / ")}`);
  const [, ruleName, dueDay] = started;
  await tab(page, "期限");
  const card = page.locator('[data-rule="organ_reply"]').first();
  await card.waitFor();
  const cardText = await card.innerText();
  if (!cardText.includes(ruleName) || !cardText.includes(`截止 ${dueDay}`))
    t.fail(`期限 does not show "${ruleName} 截止 ${dueDay}": ${cardText.slice(0, 200)}`);
  // The period runs from the service: 15 days when harm is ongoing, else 2
  // months; the last day moves off rest days (at most the National Day week).
  const startText = /起算：[^，]*，(\S+)/.exec(cardText);
  if (!startText) throw new Error(`no start in ${cardText.slice(0, 200)}`);
  const from = day(startText[1]);
  const due = day(dueDay);
  const d0 = new Date(from);
  const nominal = harm
    ? from + 15 * DAY
    : Date.UTC(d0.getUTCFullYear(), d0.getUTCMonth() + 2, d0.getUTCDate());
  if (due < nominal - 3 * DAY || due > nominal + 9 * DAY)
    t.fail(`the reply deadline ${dueDay} is not ${harm ? "15 days" : "2 months"} after ${startText[1]}`);
  await t.audit(page, "case-deadlines-after");

  t.step("the prosecutor records an impact figure and sees the sum");
  await tab(page, "成效");
  const totals = async () =>
    Object.fromEntries(
      await page.locator("[data-total]").evaluateAll((els) =>
        els.map((e) => [e.getAttribute("data-total"), Number(e.textContent)])),
    );
  const before = await totals();
  await page.locator("#impact-measure").click();
  await page.locator(".el-select-dropdown__item:visible").first().click();
  await page.locator("#impact-value").fill("3");
  await page.locator("#impact-note").fill("浏览器测试记录的成效");
  await page.locator('[data-test="impact-send"]').click();
  await page.getByText("已记录。", { exact: true }).waitFor();
  await page.getByText("浏览器测试记录的成效").first().waitFor();
  const after = await totals();
  const grew = Object.keys(after).filter((m) => Math.abs(after[m] - (before[m] ?? 0) - 3) < 1e-9);
  if (grew.length !== 1) t.fail(`no sum grew by 3: ${JSON.stringify(before)} → ${JSON.stringify(after)}`);
  await t.audit(page, "case-impact-after");

  t.step("the prosecutor opens a document's text");
  await tab(page, "文书");
  await page.locator('[data-test="doc-open"]').first().click();
  const text = page.locator('[data-test="doc-text"]');
  await text.waitFor();
  const body = await text.innerText();
  if (!body.includes("人民检察院")) t.fail(`the document's text does not look like one: ${body.slice(0, 80)}`);
  await t.audit(page, "case-document-text");
});
