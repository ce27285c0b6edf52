// A volunteer's pages against the living demo (run by tests/test_demo.py):
// a demo volunteer of 平城区 signs in with login and password, finds an
// assessment task in 我的任务, assesses it through the dialog and sees it
// submitted; opens 我的聘书 (certificate number and term); 我的线索 of a
// demo volunteer of 平城区 who reported clues signed in lists them newest
// first with the follow-up's status and links to it;
// then, signed out on a phone-sized window, a new volunteer applies on
// /apply and sees what happens next.  axe-core and a screenshot on every
// page.  The new applicant's login is left in GY_SCREENSHOTS for
// 50-admin.mjs, which appoints them.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { start } from "../lib/staff.mjs";

/** Until no Vue transition is running (a dialog fading in is measured by
 *  axe at part opacity). */
const settled = (page) =>
  page.waitForFunction(() => !document.querySelector('[class*="-enter-active"], [class*="-leave-active"]'));

const t = await start("volunteer");

/** The demo's volunteers of 平城区 who can sign in, each with a token from
 *  their own login (through the API, as a client would). */
async function volunteersSignedIn() {
  const all = t.everyone.filter((p) => p.role === "volunteer" && p.procuratorate === "140213" && p.login);
  const signedIn = [];
  for (const p of all) {
    const r = await fetch(t.base + "/api/v1/auth/login", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ login: p.login, password: p.password }),
    });
    if (r.ok) signedIn.push({ who: p, headers: { Authorization: `Bearer ${(await r.json()).token}` } });
  }
  return signedIn;
}

/** The first of them the router has an open assessment task for, or the
 *  first of them. */
async function withOpenTask() {
  const all = await volunteersSignedIn();
  if (!all.length) return t.person({ role: "volunteer", procuratorate: "140213" });
  for (const { who, headers } of all) {
    const tasks = await fetch(t.base + "/api/v1/tasks?status=assigned", { headers });
    if (tasks.ok && (await tasks.json()).items.length) return who;
  }
  return all[0].who;
}

/** Each of them with their first page of clues (GET /api/v1/clues, as the
 *  page asks it). */
async function volunteersWithTheirClues() {
  const found = [];
  for (const { who, headers } of await volunteersSignedIn()) {
    const page = await fetch(t.base + "/api/v1/clues", { headers });
    if (!page.ok) throw new Error(`GET /api/v1/clues answered ${page.status}`);
    found.push({ who, clues: (await page.json()).items });
  }
  return found;
}

await t.run(async () => {
  t.step("sign in as a volunteer of 平城区 who has an assessment to do");
  const who = await withOpenTask();
  t.result.volunteer = who.login;
  const page = await t.signIn(who);

  t.step("我的任务 lists an assessment task with its due date");
  await page.goto(t.base + "/work/tasks");
  await page.getByRole("heading", { name: "我的任务", level: 1 }).waitFor();
  const row = page.locator('[data-test="assessments"] .el-table__row', {
    has: page.locator('[data-test="assess"]'),
  }).first();
  await row.waitFor();
  const title = (await row.locator(".title").innerText()).trim();
  await t.audit(page, "tasks");

  t.step("assess it through the dialog");
  await row.locator('[data-test="assess"]').click();
  const dialog = page.getByRole("dialog", { name: "评估线索" });
  await dialog.waitFor();
  await dialog.getByText(title).first().waitFor();
  // Sent empty: each score says it is needed, and nothing is sent.
  await dialog.locator('[data-test="assess-send"]').click();
  await dialog.getByText("请选择可信程度。").waitFor();
  await dialog.locator('[data-test="credibility-4"]').click();
  await dialog.locator('[data-test="severity-3"]').click();
  await dialog.locator('[data-test="harm-4"]').click();
  await dialog.locator('[data-test="recommend-route"]').click();
  await dialog.locator("#assess-comment").fill("现场照片与描述一致，排污口位置明确，建议移送核查。");
  await settled(page);
  await t.audit(page, "assess-dialog");
  await dialog.locator('[data-test="assess-send"]').click();
  await page.locator('[data-test="notice"]', { hasText: "评估已提交" }).waitFor();
  await dialog.waitFor({ state: "hidden" });

  t.step("the task shows as submitted, with the scores");
  await page.locator('[data-test="assessments"] .el-table__row', { hasText: title })
    .locator('[data-test="task-status"]', { hasText: "已提交" }).first().waitFor();
  await page.locator('[data-test="assessments"] .el-table__row', { hasText: title })
    .getByText("可信 4 · 严重 3 · 公益损害 4").first().waitFor();

  t.step("the other kinds of task");
  for (const [tab, name] of [["专业咨询", "tasks-consultations"], ["听证", "tasks-hearings"], ["跟踪观察", "tasks-supervisions"]]) {
    await page.getByRole("tab", { name: new RegExp(`^${tab}`) }).click();
    await page.locator(".el-tab-pane:not([style*='display: none']) .el-table").first().waitFor();
    await t.audit(page, name);
  }

  t.step("我的聘书: the certificate number and the term");
  await page.goto(t.base + "/work/me");
  await page.getByRole("heading", { name: "我的聘书", level: 1 }).waitFor();
  const cert = (await page.locator('[data-test="certificate-no"]').innerText()).trim();
  if (!cert || cert.includes("还没有被聘任")) t.fail(`certificate shown as "${cert}"`);
  const term = await page.locator('[data-test="term"]').innerText();
  if (!/\d{4}-\d{2}-\d{2} 至 \d{4}-\d{2}-\d{2}/.test(term)) t.fail(`term shown as "${term}"`);
  await page.locator('[data-test="term-left"]').waitFor();
  await t.audit(page, "me");

  t.step("我的线索 of a volunteer of 平城区 who reported clues signed in");
  const volunteers = await volunteersWithTheirClues();
  const reported = volunteers.find((v) => v.clues.length);
  if (!reported) throw new Error("no demo volunteer of 平城区 submitted a clue signed in");
  const { who: informant, clues } = reported;
  t.result.informant = informant.login;
  const mine = informant.login === who.login ? page : await t.signIn(informant);
  await mine.goto(t.base + "/work/clues");
  await mine.getByRole("heading", { name: "我的线索", level: 1 }).waitFor();
  const table = mine.locator('[data-test="my-clues"]');
  // Newest first, as the API lists them; each row says what the public
  // follow-up says and leads to it.
  const newest = clues[0];
  const first = table.locator(".el-table__row").first();
  await first.getByText(newest.title).waitFor();
  const status = (await first.locator('[data-test="clue-status"]').innerText()).trim();
  const follow = await (await fetch(t.base + "/api/v1/clues/" + newest.receipt_code)).json();
  if (follow.status !== newest.status) t.fail(`the list says ${newest.status}, the follow-up ${follow.status}`);
  if (!status || status === newest.status) t.fail(`status shown as "${status}", not its name`);
  const rows = await table.locator(".el-table__row").count();
  if (rows !== clues.length) t.fail(`${rows} rows, the API lists ${clues.length}`);
  await t.audit(mine, "clues");
  await first.locator('[data-test="clue-code"]').click();
  await mine.waitForURL((u) => u.pathname === "/follow" && u.searchParams.get("code") === newest.receipt_code);
  await mine.locator('[data-test="status"]').waitFor();
  // Back to the signed-in pages (the follow-up is a public page).
  await mine.goBack();
  await mine.getByRole("heading", { name: "我的线索", level: 1 }).waitFor();

  t.step("我的线索 of a volunteer without clues says how to report one");
  const none = volunteers.find((v) => !v.clues.length);
  if (!none) throw new Error("every demo volunteer of 平城区 reported clues");
  const empty = none.who.login === who.login ? page : await t.signIn(none.who);
  await empty.goto(t.base + "/work/clues");
  await empty.getByText("您还没有登录后提交过线索。").waitFor();
  await empty.locator('[data-test="my-clues"]').getByRole("link", { name: "去反映线索" }).waitFor();
  await t.audit(empty, "clues-empty");

  t.step("sign out; a new volunteer applies on a phone");
  await page.getByRole("button", { name: "退出登录" }).click();
  await page.waitForURL((u) => u.pathname === "/login");
  await page.setViewportSize({ width: 390, height: 844 });
  await page.getByRole("link", { name: /申请成为志愿者/ }).click();
  await page.waitForURL((u) => u.pathname === "/apply");
  await page.getByRole("heading", { name: "申请成为志愿者", level: 1 }).waitFor();
  await page.locator("#apply-login").waitFor();

  t.step("sent empty, each required field says so");
  await page.locator('[data-test="apply-send"]').click();
  await page.getByText("请填写登录名。").waitFor();
  await page.getByText("请至少选择一项工作。").waitFor();

  t.step("fill the application");
  const login = `e2e.${Date.now().toString(36)}`;
  const name = "王晓燕";
  await page.locator("#apply-login").fill(login);
  await page.locator("#apply-password").fill("pingcheng-2026-ok");
  await page.locator("#apply-name").fill(name);
  await page.locator("#apply-phone").fill("139 0352 0000");
  await page.locator("#apply-email").fill("wang.xy@example.cn");
  t.step("choose the procuratorate: 山西省 › 大同市 › 平城区");
  await page.locator(".el-cascader").click();
  for (const n of ["山西省", "大同市", "平城区"])
    await page.locator(".el-cascader-node", { hasText: n }).first().click();
  await page.keyboard.press("Escape");
  t.step("choose the expertise and the roles");
  await page.locator(".el-select", { has: page.locator("#apply-expertise") }).click();
  await page.getByRole("option", { name: "生态环境和资源保护" }).click();
  await page.keyboard.press("Escape");
  await page.locator('[data-test="role-assessor"]').click();
  await page.locator('[data-test="role-supervisor"]').click();
  await page.locator("#apply-statement").fill("环境工程专业，在御河沿线做过水质监测志愿服务。");
  await t.audit(page, "apply");
  await page.locator('[data-test="apply-send"]').click();

  t.step("the success page says what happens next");
  await page.waitForURL((u) => u.pathname === "/apply/done");
  await page.getByRole("heading", { name: "申请已提交", level: 1 }).waitFor();
  await page.getByText("检察院聘任您").waitFor();
  await t.audit(page, "applied");
  writeFileSync(join(process.env.GY_SCREENSHOTS, "applied-volunteer.json"), JSON.stringify({ login, name }));
  t.result.applicant = login;
});
