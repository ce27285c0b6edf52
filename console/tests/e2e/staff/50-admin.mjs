// The administrators' pages against the living demo (run by
// tests/test_demo.py after 10-volunteer.mjs): an administrator over 平城区
// (the demo has one of 大同市, whose scope holds its counties; else 平城区's
// chief prosecutor) opens
// 志愿者管理, finds the volunteer who just applied (status 待审核), reads
// their personal data through the explicit 查看, appoints them with a
// certificate and a term, and sees 已聘任 in the list; then 听证人员库,
// 节假日日历 (an administrator loads 2027 from a CSV file and sees both
// services' coverage reach 2027-12-31), 参考数据 and (an administrator)
// 接入令牌: issues a prosecutor's token for 平城区, sees it once and in the
// list, and signs in with it in a fresh browser.  axe-core and a screenshot
// on every page.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { start } from "../lib/staff.mjs";

/** Until no Vue transition is running (a dialog fading in is measured by
 *  axe at part opacity). */
const settled = (page) =>
  page.waitForFunction(() => !document.querySelector('[class*="-enter-active"], [class*="-leave-active"]'));

const t = await start("admin");

/** The applicant 10-volunteer.mjs left, or a new one applied here. */
async function applicant() {
  const file = join(process.env.GY_SCREENSHOTS, "applied-volunteer.json");
  if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8"));
  const login = `e2e.${Date.now().toString(36)}`;
  const name = "赵志远";
  const r = await fetch(t.base + "/api/v1/volunteers/applications", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({
      login, password: "pingcheng-2026-ok", name, phone: "13903520001",
      procuratorate: "140213", expertise: ["ecology"], roles: ["supervisor"],
    }),
  });
  if (r.status !== 201) throw new Error(`application answered ${r.status}`);
  return { login, name };
}

await t.run(async () => {
  t.step("the applicant");
  const { login, name } = await applicant();
  t.result.applicant = login;

  t.step("sign in as an administrator over 平城区 (its own, else 大同市's), or its chief");
  const who =
    t.everyone.find((p) => p.role === "admin" && p.procuratorate === "140213") ??
    t.everyone.find((p) => p.role === "admin" && p.procuratorate === "140200") ??
    t.person({ role: "chief_prosecutor", procuratorate: "140213" });
  t.result.as = who.role;
  const page = await t.signIn(who);

  t.step("志愿者管理 lists the volunteers");
  await page.goto(t.base + "/work/volunteers");
  await page.getByRole("heading", { name: "志愿者管理", level: 1 }).waitFor();
  await page.locator('[data-test="volunteers"] .el-table__row').first().waitFor();
  await t.audit(page, "volunteers");

  t.step("filter 待审核 and find the applicant");
  const filter = async (label) => {
    await page.locator(".el-select", { has: page.locator("#volunteers-status") }).click();
    await page.getByRole("option", { name: label, exact: true }).click();
    await page.locator('[data-test="volunteers-search"]').click();
  };
  await filter("待审核");
  let row = page.locator('[data-test="volunteers"] .el-table__row', { hasText: login });
  await row.waitFor();
  await row.locator('[data-test="volunteer-status"]', { hasText: "待审核" }).waitFor();

  t.step("open the record; personal data only after 查看个人信息");
  await row.locator('[data-test="open-volunteer"]').click();
  const drawer = page.getByRole("dialog", { name: `志愿者 ${login}` });
  await drawer.waitFor();
  if (await drawer.getByText(name).count()) t.fail("the name shows before 查看个人信息");
  await drawer.locator('[data-test="reveal"]').click();
  await drawer.getByText(name).waitFor();
  await settled(page);
  await t.audit(page, "volunteer-record");

  t.step("appoint: certificate and term");
  await drawer.locator('[data-test="action-appoint"]').click();
  const dialog = page.getByRole("dialog", { name: `聘任：${login}` });
  await dialog.waitFor();
  const certificate = `平检志聘〔E2E〕${Date.now().toString(36)}号`;
  await dialog.locator("#appoint-certificate").fill(certificate);
  if (!(await dialog.locator("#appoint-start").inputValue())) t.fail("no default term start");
  await settled(page);
  await t.audit(page, "appoint-dialog");
  await dialog.locator('[data-test="action-send"]').click();
  await drawer.locator('[data-test="volunteer-notice"]', { hasText: "已聘任" }).waitFor();
  await drawer.locator('[data-test="drawer-status"]', { hasText: "已聘任" }).waitFor();
  await drawer.getByText(certificate).waitFor();
  // Now the allowed actions are those of an appointed volunteer.
  await drawer.locator('[data-test="action-suspend"]').waitFor();
  await page.keyboard.press("Escape");
  await drawer.waitFor({ state: "hidden" });

  t.step("the list shows 已聘任");
  row = page.locator('[data-test="volunteers"] .el-table__row', { hasText: login });
  await row.locator('[data-test="volunteer-status"]', { hasText: "已聘任" }).waitFor();
  await filter("已聘任");
  await page.locator('[data-test="volunteers"] .el-table__row', { hasText: login })
    .locator('[data-test="volunteer-status"]', { hasText: "已聘任" }).waitFor();

  t.step("听证人员库");
  await page.goto(t.base + "/work/hearing-pool");
  await page.getByRole("heading", { name: "听证人员库", level: 1 }).waitFor();
  await page.locator(".el-table").first().waitFor();
  await t.audit(page, "hearing-pool");

  t.step("节假日日历: each service's coverage and how to load next year");
  await page.goto(t.base + "/work/calendar");
  await page.getByRole("heading", { name: "节假日日历", level: 1 }).waitFor();
  for (const s of ["workflow", "router"]) {
    const until = (await page.locator(`[data-test="calendar-${s}"] [data-test="covered-until"]`).innerText()).trim();
    if (!/^\d{4}-12-31$/.test(until)) t.fail(`${s} calendar covered until "${until}"`);
  }
  await page.locator('[data-test="router-command"]', { hasText: "router.calendar_year" }).waitFor();
  await t.audit(page, "calendar");

  if (who.role === "admin") {
    t.step("载入年度安排: a wrong line is named by its number before anything is sent");
    const load = page.locator('[data-test="calendar-load"]');
    await load.locator("#load-year").fill("2027");
    // 2027-02-09 is a Tuesday: a 调休 workday must be a weekend day.
    await load.locator("#load-text").fill("date,kind,name\n2027-02-09,workday,春节调休");
    await load.locator('[data-test="load-problems"]', { hasText: "第 2 行" }).waitFor();
    if (await load.locator('[data-test="load-send"]').isEnabled()) t.fail("sendable with a wrong line");

    t.step("载入年度安排: 2027 from a CSV file, previewed, sent to both services");
    // In the shape of a real notice (2027's is made up here): 元旦 on a
    // Friday, 春节 from Saturday 6 February, a 调休 Saturday.
    const csv = [
      "date,kind,name",
      "2027,year,国务院办公厅关于2027年部分节假日安排的通知",
      "2027-01-01,holiday,元旦",
      "2027-02-06,holiday,春节",
      "2027-02-07,holiday,春节",
      "2027-02-08,holiday,春节",
      "2027-02-20,workday,春节调休",
    ].join("\n");
    await load.locator("#load-text").fill("");
    await load.locator('[data-test="load-file"]').setInputFiles({
      name: "holidays-2027.csv", mimeType: "text/csv", buffer: Buffer.from(csv, "utf8"),
    });
    await load.locator('[data-test="load-preview"] .el-table__row').nth(4).waitFor();
    await load.locator('[data-test="load-preview"]').getByText("调休上班").waitFor();
    await settled(page);
    await t.audit(page, "calendar-preview");
    await load.locator('[data-test="load-send"]').click();
    for (const s of ["router", "workflow"]) {
      await load.locator(`[data-test="load-${s}"][data-state="done"]`, { hasText: "已载入 2027 年" })
        .waitFor({ timeout: 20000 });
    }

    t.step("both services' coverage moves to 2027-12-31");
    for (const s of ["workflow", "router"]) {
      await page.locator(`[data-test="calendar-${s}"] [data-test="covered-until"]`, { hasText: "2027-12-31" })
        .waitFor({ timeout: 20000 });
    }
    await t.audit(page, "calendar-loaded");
  }

  t.step("参考数据: fields and regions");
  await page.goto(t.base + "/work/reference");
  await page.getByRole("heading", { name: "参考数据", level: 1 }).waitFor();
  await page.locator('[data-test="ref-fields"] .el-table__row', { hasText: "生态环境和资源保护" }).waitFor();
  await t.audit(page, "reference");
  await page.getByRole("tab", { name: "地区" }).click();
  await page.locator('[data-test="ref-regions"]').getByText("山西省", { exact: false }).first().waitFor();
  // The time limits and the impact measures: reference data every
  // signed-in role reads, an administrator too.
  await page.getByRole("tab", { name: "期限规则" }).click();
  await page.getByRole("cell", { name: /行政机关书面回复/ }).first().waitFor();
  await t.audit(page, "reference-limits");
  await page.getByRole("tab", { name: "成效指标" }).click();
  await page.getByRole("cell", { name: "挽回国有财产", exact: true }).waitFor();

  if (who.role === "admin") {
    t.step("接入令牌: issue a prosecutor's token for 平城区");
    await page.goto(t.base + "/work/tokens");
    await page.getByRole("heading", { name: "接入令牌", level: 1 }).waitFor();
    await page.locator('[data-test="issue-command"]', { hasText: "gy-token issue" }).waitFor();
    await t.audit(page, "tokens");
    const sub = `e2e.${Date.now().toString(36)}`;
    await page.locator("#tokens-sub").fill(sub);
    await page.locator(".el-select", { has: page.locator("#tokens-role") }).click();
    await page.getByRole("option", { name: "检察官", exact: true }).click();
    await page.locator(".el-select", { has: page.locator("#tokens-proc") }).click();
    await page.getByRole("option", { name: "大同市平城区人民检察院", exact: true }).click();
    await page.locator("#tokens-days").fill("7");
    await page.locator("#tokens-days").press("Tab");
    await page.locator("#tokens-purpose").fill("浏览器测试：平城区检察院检察官，办理线索");
    await page.locator('[data-test="token-send"]').click();

    t.step("the token is shown once, with the warning");
    const field = page.locator('[data-test="issued-token"]');
    await field.waitFor();
    const token = await field.inputValue();
    if (!/^gy1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token)) t.fail(`the field holds "${token.slice(0, 20)}…"`);
    if ((await field.getAttribute("readonly")) === null) t.fail("the token's field is not read-only");
    await page.locator('[data-test="issued"]', { hasText: "只显示这一次" }).waitFor();
    await page.locator('[data-test="copy-token"]').waitFor();
    t.step("the list shows it, with its issuer, without the token");
    let issuedRow = page.locator('[data-test="issued-tokens"] .el-table__row', { hasText: sub });
    await issuedRow.waitFor();
    for (const text of ["检察官", "大同市平城区人民检察院", who.subject, "有效"])
      if (!(await issuedRow.getByText(text, { exact: false }).count())) t.fail(`the row lacks "${text}"`);
    if ((await page.locator('[data-test="issued-tokens"]').innerText()).includes(token.split(".")[2]))
      t.fail("the list shows the token");
    await settled(page);
    await t.audit(page, "tokens-issued");

    t.step("after a reload the token is gone, the record stays");
    await page.reload();
    await page.getByRole("heading", { name: "接入令牌", level: 1 }).waitFor();
    issuedRow = page.locator('[data-test="issued-tokens"] .el-table__row', { hasText: sub });
    await issuedRow.waitFor();
    if (await page.locator('[data-test="issued-token"]').count()) t.fail("the token is shown again");

    t.step("the new token signs in on the login page, as 平城区's prosecutor");
    const holder = await t.signIn({ token });
    const me = await holder.evaluate(async () => (await fetch("/api/v1/auth/session")).json());
    if (me.subject !== sub || me.role !== "prosecutor" || me.procuratorate !== "140213")
      t.fail(`signed in as ${JSON.stringify(me)}`);
    t.result.issued = sub;
  }
});
