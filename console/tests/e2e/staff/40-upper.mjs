// The upper levels' pages with the living demo's data (issue 10: "the
// city's dashboard renders its charts with the demo's data"): a chief (or
// else a prosecutor) of 大同市 opens 统计; every chart is drawn; the
// numbers of the table alternatives are those of the workflow's API,
// fetched by the test with the page's own cookie; the drill-down goes to
// 平城区, whose numbers are checked too, and from its table of cases to a
// case's page; then 下级院 shows each county's queue beside the others.
// axe and a screenshot on each page.
import { start } from "../lib/staff.mjs";

const t = await start("40-upper");
const CITY = "140200";
const COUNTY = "140213"; // 平城区

/** Every item of the workflow's lists, as the page gathers them, and the
 *  numbers the page must show, counted here independently. */
async function truth(page, view) {
  const lists = await page.evaluate(async () => {
    const all = async (path) => {
      const items = [];
      let after = null;
      for (;;) {
        const q = new URLSearchParams(path.includes("?") ? path.split("?")[1] : "");
        q.set("limit", "100");
        if (after) q.set("after", after);
        const r = await fetch(path.split("?")[0] + "?" + q, { credentials: "same-origin" });
        if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
        const body = await r.json();
        items.push(...body.items);
        if (!body.next) return items;
        after = body.next;
      }
    };
    return {
      cases: await all("/api/v1/workflow/cases?queue=all"),
      dueSoon: await all("/api/v1/workflow/cases?queue=due_soon"),
      overdue: await all("/api/v1/workflow/cases?queue=overdue"),
      reviews: await all("/api/v1/workflow/reviews"),
    };
  });
  const prefix = view.endsWith("0000") ? view.slice(0, 2) : view.endsWith("00") ? view.slice(0, 4) : view;
  const mine = (xs) => xs.filter((x) => x.procuratorate.startsWith(prefix));
  const cases = mine(lists.cases);
  const count = (xs, key) => {
    const m = {};
    for (const x of xs) m[key(x)] = (m[key(x)] ?? 0) + 1;
    return m;
  };
  const unitOf = (code) => (view.endsWith("00") && !view.endsWith("0000") ? code : view);
  const once = (xs) => [...new Map(xs.map((x) => [x.id, x])).values()];
  const units = {};
  const unit = (code) => (units[unitOf(code)] ??= { reviews: 0, open: 0, cases: 0, dueSoon: 0, overdue: 0 });
  for (const r of mine(lists.reviews)) unit(r.procuratorate).reviews++;
  for (const c of cases) {
    unit(c.procuratorate).cases++;
    if (c.state !== "closed" && c.state !== "terminated") unit(c.procuratorate).open++;
  }
  for (const c of once(mine(lists.dueSoon))) unit(c.procuratorate).dueSoon++;
  for (const c of once(mine(lists.overdue))) unit(c.procuratorate).overdue++;
  return {
    cases,
    stage: count(cases, (c) => c.state),
    field: count(cases, (c) => c.field_code),
    kind: count(cases, (c) => c.kind),
    units,
  };
}

/** A chart card's table alternative, shown through its 表格 button, as
 *  {row key: [numbers…]}; back to the chart afterwards. */
async function tableOf(page, chart) {
  const card = page.locator(`[data-chart="${chart}"]`);
  await card.getByRole("button", { name: "表格" }).click();
  const table = card.locator("table");
  await table.waitFor();
  const rows = await table.locator("tbody tr").evaluateAll((trs) =>
    trs.map((tr) => [tr.dataset.key, [...tr.querySelectorAll("td")].map((td) => Number(td.textContent.trim()))]),
  );
  await card.getByRole("button", { name: "图表" }).click();
  return Object.fromEntries(rows);
}

function same(what, shown, expected) {
  const a = JSON.stringify(shown, Object.keys(shown).sort());
  const b = JSON.stringify(expected, Object.keys(expected).sort());
  if (a !== b) t.fail(`${what}: the page shows ${a}, the API says ${b}`);
}

/** The pointer away and the buttons' colour transitions over, so that axe
 *  measures the contrast of the colours at rest. */
async function settle(page) {
  await page.mouse.move(0, 0);
  await page.evaluate(() => document.activeElement?.blur?.());
  await page.waitForTimeout(400);
}

/** Every chart drawn: its SVG has shapes (bars or slices). */
async function chartsDrawn(page, n) {
  await page.waitForFunction(
    (n) => document.querySelectorAll('[data-chart] [data-drawn="true"]').length === n,
    n,
    { timeout: 20000 },
  );
  const shapes = await page.locator("[data-chart]").evaluateAll((cards) =>
    cards.map((c) => [c.dataset.chart, c.querySelectorAll("svg path, svg rect").length, c.querySelector("[role=img]")?.getAttribute("aria-label") ?? ""]),
  );
  for (const [chart, count, label] of shapes) {
    if (count < 3) t.fail(`chart ${chart} has nothing drawn (${count} shapes)`);
    if (!label) t.fail(`chart ${chart} has no aria description`);
  }
  return shapes.length;
}

/** Compares the counted numbers (stage, field, kind) of the page's tables. */
async function checkCounts(page, want, where) {
  for (const [chart, key] of [["stage", "stage"], ["field", "field"], ["kind", "kind"]]) {
    const shown = await tableOf(page, chart);
    const got = Object.fromEntries(Object.entries(shown).filter(([, v]) => v[0] > 0).map(([k, v]) => [k, v[0]]));
    same(`${where}: cases by ${key}`, got, want[key]);
  }
}

await t.run(async () => {
  const who = (() => {
    try {
      return t.person({ role: "chief_prosecutor", procuratorate: CITY });
    } catch {
      return t.person({ role: "prosecutor", procuratorate: CITY });
    }
  })();
  t.step(`sign in as ${who.role} of 大同市`);
  const page = await t.signIn(who);

  t.step("open 统计 from the menu");
  await page.locator("nav.side").getByText("统计", { exact: true }).click();
  await page.waitForURL((u) => u.pathname === "/work/dashboard");
  await page.getByRole("heading", { level: 1, name: /大同市人民检察院/ }).waitFor();
  const drawn = await chartsDrawn(page, 5);
  if (drawn !== 5) t.fail(`the city's dashboard has ${drawn} charts, not 5`);

  t.step("the city's numbers are the API's");
  const city = await truth(page, CITY);
  if (city.cases.length === 0) t.fail("the demo gave 大同市 no cases to count");
  await page.getByText(`共 ${city.cases.length} 件案件`).waitFor();
  await checkCounts(page, city, "大同市");
  const units = await page.locator('[data-table="units"] tbody tr').evaluateAll((trs) =>
    Object.fromEntries(
      trs.map((tr) => {
        const n = [...tr.querySelectorAll("td")].map((td) => Number(td.textContent.trim()));
        return [tr.dataset.key, { reviews: n[0], open: n[1], cases: n[2], dueSoon: n[3], overdue: n[4] }];
      }),
    ),
  );
  const quiet = { reviews: 0, open: 0, cases: 0, dueSoon: 0, overdue: 0 };
  same(
    "大同市: each procuratorate's figures",
    Object.fromEntries(Object.entries(units).filter(([, v]) => JSON.stringify(v) !== JSON.stringify(quiet))),
    city.units,
  );
  const deadlines = await tableOf(page, "deadlines");
  for (const [unit, v] of Object.entries(city.units))
    if (JSON.stringify(deadlines[unit]) !== JSON.stringify([v.dueSoon, v.overdue]))
      t.fail(`deadlines of ${unit}: the chart's table says ${deadlines[unit]}, the API ${[v.dueSoon, v.overdue]}`);
  await settle(page);
  await t.audit(page, "dashboard-city");
  await page.locator('[data-chart="deadlines"]').getByRole("button", { name: "表格" }).click();
  await settle(page);
  await t.audit(page, "dashboard-city-table");
  await page.locator('[data-chart="deadlines"]').getByRole("button", { name: "图表" }).click();

  t.step("drill down to 平城区 (keyboard: its link in the table)");
  const link = page.getByRole("link", { name: "查看大同市平城区人民检察院的统计" });
  await link.focus();
  await page.keyboard.press("Enter");
  await page.waitForURL((u) => u.searchParams.get("procuratorate") === COUNTY);
  await page.getByRole("heading", { level: 1, name: /平城区人民检察院/ }).waitFor();
  await chartsDrawn(page, 3);
  const county = await truth(page, COUNTY);
  await page.getByText(`共 ${county.cases.length} 件案件`).waitFor();
  await checkCounts(page, county, "平城区");
  await settle(page);
  await t.audit(page, "dashboard-county");

  t.step("平城区: a stage's number lists its cases");
  const [stage, n] = Object.entries(county.stage)[0] ?? [];
  if (!stage) throw new Error("the demo gave 平城区 no cases");
  const stageCard = page.locator('[data-chart="stage"]');
  await stageCard.getByRole("button", { name: "表格" }).click();
  await stageCard.locator(`tr[data-key="${stage}"] td a`).click();
  await page.waitForURL((u) => u.searchParams.get("stage") === stage);
  await page.getByText(`显示 ${Math.min(n, 20)} / ${n} 件`).waitFor();

  t.step("平城区 › a case");
  const caseLink = page.locator('[data-section="cases"] a.case-link').first();
  const title = (await caseLink.textContent()).trim();
  const wanted = county.cases.find((c) => c.title === title && c.state === stage);
  if (!wanted) t.fail(`the case "${title}" is not one of 平城区's ${stage} cases`);
  await caseLink.click();
  await page.waitForURL((u) => /^\/work\/cases\/[0-9a-f-]{36}$/.test(u.pathname));
  if (wanted && !page.url().endsWith(`/work/cases/${wanted.id}`))
    t.fail(`the case link went to ${page.url()}, not ${wanted.id}`);

  t.step("下级院: each procuratorate side by side");
  await page.locator("nav.side").getByText("下级院", { exact: true }).click();
  await page.waitForURL((u) => u.pathname === "/work/counties");
  await page.getByRole("heading", { level: 2, name: "大同市平城区人民检察院" }).waitFor();
  const cards = await page.locator("[data-unit]").evaluateAll((els) =>
    Object.fromEntries(
      els.map((el) => [
        el.dataset.unit,
        Object.fromEntries([...el.querySelectorAll("[data-figure]")].map((d) => [d.dataset.figure, Number(d.textContent.trim())])),
      ]),
    ),
  );
  for (const [unit, v] of Object.entries(city.units)) {
    const c = cards[unit];
    if (!c) t.fail(`下级院 has no card for ${unit}`);
    else same(`下级院 ${unit}`, c, { reviews: v.reviews, open: v.open, dueSoon: v.dueSoon, overdue: v.overdue });
  }
  if (!cards["140214"]) t.fail("下级院 has no card for 云冈区");
  await settle(page);
  await t.audit(page, "counties");
});
