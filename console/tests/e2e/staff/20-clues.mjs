// The prosecutors' clue pages on the living demo (docs/console.md, "The
// clue pages"): a prosecutor of 平城区 opens 线索审查, opens a clue under
// review, takes it (我来办理) and reveals its reporter behind the notice
// that the access is recorded; the chief of 平城区 finds it in 待我决定,
// opens it as a case (立案) and lands on the case's page; then decides
// 不立案 on another clue under review, with the reason the reporter sees.
// The city's triage queue and a transfer to answer are looked at (not
// acted on).  axe and a screenshot on every page of the area.
import { readFileSync } from "node:fs";
import { start } from "../lib/staff.mjs";

const t = await start("20-clues");
const demo = JSON.parse(readFileSync(process.env.GY_DEMO_LOGINS, "utf8"));
const clues = demo.clues ?? {};

await t.run(async () => {
  const prosecutor = t.person({ role: "prosecutor", procuratorate: "140213" });
  const chief = t.person({ role: "chief_prosecutor", procuratorate: "140213" });

  t.step("the prosecutor opens 线索审查");
  const page = await t.signIn(prosecutor);
  await page.goto(t.base + "/work/reviews");
  await page.getByRole("heading", { level: 1, name: "线索审查" }).waitFor();
  await page.locator("[data-test=reviews] .cell-link").first().waitFor();
  await t.audit(page, "reviews");

  t.step("the queue of clues nobody has yet");
  await page.locator("label").filter({ hasText: "未分配" }).click();
  await page.waitForURL((u) => u.searchParams.get("queue") === "unassigned");
  const rows = page.locator("[data-test=reviews] .cell-link");
  await rows.first().waitFor();
  await t.audit(page, "reviews-unassigned");
  // The demo's clue reported at the park (under review at 平城区, nobody's
  // yet) when the demo has it, else the oldest clue of the queue.
  const wanted = clues.cesuo?.title;
  const link = wanted && (await rows.filter({ hasText: wanted }).count())
    ? rows.filter({ hasText: wanted }).first()
    : rows.first();
  await link.click();
  await page.waitForURL(/\/work\/reviews\/[0-9a-f-]{36}$/);
  const clueId = page.url().split("/").pop();
  const title = (await page.locator("[data-test=clue-title]").innerText()).trim();
  await page.getByText("审查中", { exact: true }).first().waitFor();
  await t.audit(page, "clue");

  t.step("我来办理");
  await page.getByRole("button", { name: "我来办理" }).click();
  await page.locator("[data-test=notice]").filter({ hasText: `已分配给 ${prosecutor.subject}` }).waitFor();
  const assignee = (await page.locator("[data-test=assignee]").innerText()).trim();
  if (assignee !== prosecutor.subject) t.fail(`the review's assignee shows ${assignee}`);
  if (await page.getByRole("button", { name: "我来办理" }).count())
    t.fail("我来办理 is still offered after taking the clue");

  t.step("the reporter, behind the notice that the access is recorded");
  if (await page.locator("[data-test=identity]").count()) t.fail("the identity was shown before asking");
  await page.getByRole("button", { name: "查看举报人信息" }).click();
  const notice = page.locator("[data-test=reveal-notice]");
  await notice.waitFor();
  const said = await notice.innerText();
  if (!said.includes("会被记录") || !said.includes(prosecutor.subject))
    t.fail(`the confirmation does not say the access is recorded, by whom: ${said}`);
  await t.audit(page, "reveal-confirm");
  await page.getByRole("button", { name: "确认查看（留下记录）" }).click();
  const recorded = page.locator("[data-test=recorded]");
  await recorded.waitFor();
  if (!(await recorded.innerText()).includes(prosecutor.subject))
    t.fail("the recorded notice does not name who looked");
  const reporter = page.locator("[data-test=reporter]");
  const shown = await reporter.innerText();
  if (!/匿名|姓名|电话|电子邮箱|志愿者|没有留下联系方式/.test(shown))
    t.fail(`neither the identity nor the anonymous notice is shown: ${shown}`);
  await t.audit(page, "clue-reporter");

  t.step("the prosecutor's transfers");
  await page.goto(t.base + "/work/transfers");
  await page.getByRole("heading", { level: 1, name: "移送" }).waitFor();
  await page.getByRole("heading", { level: 2, name: "等待本院答复的移送" }).waitFor();
  await page.waitForFunction(() => !document.querySelector("[role=status]")?.textContent?.includes("正在载入"));
  await t.audit(page, "transfers");

  t.step("the city's triage queue (待分流)");
  const city = await t.signIn(t.person({ role: "prosecutor", procuratorate: "140200" }));
  await city.goto(t.base + "/work/reviews?queue=triage");
  await city.locator("[data-test=triage] .cell-link").first().waitFor();
  await t.audit(city, "reviews-triage");

  t.step("a transfer waiting for 云冈区's answer");
  const yungang = await t.signIn(t.person({ role: "prosecutor", procuratorate: "140214" }));
  await yungang.goto(t.base + "/work/transfers");
  await yungang.locator("[data-test=to-answer]").getByRole("button", { name: "接收" }).first().waitFor();
  await yungang.locator("[data-test=to-answer]").getByText("平城区").first().waitFor();
  await t.audit(yungang, "transfers-to-answer");

  t.step("the chief opens 待我决定");
  const boss = await t.signIn(chief);
  await boss.goto(t.base + "/work/decisions");
  await boss.getByRole("heading", { level: 1, name: "待我决定" }).waitFor();
  const waiting = boss.locator(`[data-test=section-open] a[href="/work/reviews/${clueId}"]`);
  await waiting.waitFor();
  await boss.waitForFunction(() => !document.body.innerText.includes("正在载入待决定的事项"));
  await t.audit(boss, "decisions");

  t.step("立案");
  await waiting.click();
  await boss.waitForURL(`**/work/reviews/${clueId}`);
  await boss.locator("[data-test=clue-title]").filter({ hasText: title }).waitFor();
  await boss.getByRole("button", { name: "立案", exact: true }).click();
  const kinds = boss.locator("[data-test=case-kind] label");
  await kinds.first().waitFor();
  const administrative = kinds.filter({ hasText: "行政公益诉讼" });
  await ((await administrative.count()) ? administrative.first() : kinds.first()).click();
  await t.audit(boss, "open-dialog");
  const decided = boss.waitForResponse(
    (r) => r.url().endsWith(`/api/v1/workflow/reviews/${clueId}/decide`) && r.request().method() === "POST",
  );
  await boss.locator("[data-test=action-submit]").click();
  const answer = await decided;
  if (answer.status() !== 201) throw new Error(`立案 answered ${answer.status()}: ${await answer.text()}`);
  const caseId = (await answer.json()).review.case_id;
  const casePage = `/work/cases/${caseId}`;
  await boss.waitForURL((u) => !u.pathname.startsWith("/work/reviews/"));
  if (new URL(boss.url()).pathname !== casePage) {
    // Without the case pages (routes/cases.ts) the console sends an
    // unknown path home: then that is all this test can see.
    const probe = await t.signIn(chief);
    await probe.goto(t.base + casePage);
    if (new URL(probe.url()).pathname === casePage)
      t.fail(`立案 went to ${boss.url()}, not to the case's page ${casePage}`);
    else t.result.steps.push(`(no case page in this build: 立案 went to ${new URL(boss.url()).pathname})`);
  }

  t.step("不立案 on another clue under review, with the reason the reporter sees");
  await boss.goto(t.base + "/work/reviews");
  const others = boss.locator("[data-test=reviews] .cell-link");
  await others.first().waitFor();
  const other = clues.youyan?.title;
  const next = other && (await others.filter({ hasText: other }).count())
    ? others.filter({ hasText: other }).first()
    : others.first();
  await next.click();
  await boss.waitForURL(/\/work\/reviews\/[0-9a-f-]{36}$/);
  await boss.getByRole("button", { name: "不立案", exact: true }).click();
  await boss.locator("[data-test=action-submit]").click();
  await boss.getByText("请填写告知举报人的理由").waitFor(); // nothing sent without it
  await boss.locator("#act-reason").fill("经初查，反映的问题属于个别商户经营行为，由行政机关依职权处理，不属于公益诉讼范围");
  await boss.locator("#act-public").fill("经审查，您反映的问题不符合公益诉讼立案条件，已告知相关行政机关依法处理。");
  await t.audit(boss, "not-open-dialog");
  await boss.locator("[data-test=action-submit]").click();
  await boss.locator("[data-test=notice]").filter({ hasText: "已决定不立案" }).waitFor();
  await boss.locator("[data-test=review-state]").filter({ hasText: "不立案" }).waitFor();
  await boss.getByText("经审查，您反映的问题不符合公益诉讼立案条件").first().waitFor();
  await t.audit(boss, "clue-not-opened");
});
