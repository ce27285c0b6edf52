// The public pages in Debian's Chromium (headless), through the edge:
// submit a clue, keep the receipt code, follow it up; axe-core on every
// page.  Run by tests/test_console.py:
//
//   node console/tests/e2e/public.mjs BASE_URL OUT_DIR
//
// The form attaches a small file ("排污口.jpg"): only its name, type, size
// and SHA-256 are sent (tests/test_console.py checks what intake stored).
//
// Prints one line "E2E_RESULT {json}" and exits 0 when every check held,
// 1 otherwise.  Screenshots of each page go to OUT_DIR.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { chromium } from "playwright-core";

const [base, out] = process.argv.slice(2);
if (!base || !out) {
  console.error("usage: node public.mjs BASE_URL OUT_DIR");
  process.exit(2);
}
const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const executablePath = process.env.GY_CHROMIUM || "/usr/bin/chromium";

const result = { pages: {}, receipt_code: null, steps: [], failures: [] };
let doing = "start"; // the step under way, named in a failure
const fail = (what) => result.failures.push(what);

async function audit(page, name) {
  await page.addScriptTag({ content: axeSource });
  const r = await page.evaluate(async () => {
    // WCAG 2.1 AA rules (issue 10); serious and critical fail the test.
    const res = await window.axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
    });
    return res.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length,
      help: v.help, targets: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }));
  });
  const bad = r.filter((v) => v.impact === "serious" || v.impact === "critical");
  result.pages[name] = { violations: r };
  if (bad.length) fail(`${name}: axe ${bad.map((v) => `${v.id} (${v.impact}) ${v.targets}`).join("; ")}`);
  await page.screenshot({ path: join(out, `${name}.png`), fullPage: true });
}

const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
let page = null;
try {
  const context = await browser.newContext({
    locale: "zh-CN",
    timezoneId: "Asia/Shanghai",
    viewport: { width: 390, height: 844 }, // a phone first, as the public uses it
  });
  page = await context.newPage();
  page.setDefaultTimeout(15000);
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));

  // 1. The form, its reference data from the API.
  doing = "open the form";
  await page.goto(base + "/");
  await page.getByRole("heading", { name: "反映公益诉讼线索" }).waitFor();
  await page.locator("#clue-title").waitFor();
  await audit(page, "submit");

  // Sent empty: each required field says so, in Chinese, and nothing is sent.
  doing = "send it empty";
  await page.locator('[data-test="send"]').click();
  await page.getByText("请填写线索标题。").waitFor();
  await page.getByText("请选择所属领域。").waitFor();

  doing = "fill the title and description";
  await page.locator("#clue-title").fill("御河平城区段夜间有管道向河道排放污水");
  await page.locator("#clue-description").fill(
    "十月以来每天晚上十点以后，御河东岸兴云桥北侧有一根管道向河道排放黑色污水，河面漂浮死鱼。");
  // The field: a select over the reference data.
  doing = "choose the field";
  await page.locator("#clue-field").click();
  await page.getByRole("option", { name: "生态环境和资源保护" }).click();
  // What the field covers, from reference/fields.csv through the API.
  await page.locator('[data-test="field-help"]', { hasText: "非法采矿采砂" }).waitFor();
  // The region: province › city › county.
  doing = "choose the region";
  await page.locator(".el-cascader").click();
  for (const name of ["山西省", "大同市", "平城区"])
    await page.locator(".el-cascader-node", { hasText: name }).first().click();
  doing = "fill the address";
  await page.locator("#clue-address").fill("山西省大同市平城区御河东路兴云桥北侧");
  await page.keyboard.press("Escape");
  // A photo: hashed in the browser, only its metadata sent.
  doing = "attach a photo";
  await page.locator("#clue-files").setInputFiles({
    name: "排污口.jpg", mimeType: "image/jpeg", buffer: Buffer.from("a photo of the outfall"),
  });
  await page.getByText("排污口.jpg（22 B）").waitFor();
  doing = "send";
  await page.locator('[data-test="send"]').click();

  // 2. The receipt code, large.
  doing = "the receipt page";
  await page.waitForURL(/\/receipt\//);
  const code = (await page.locator('[data-test="receipt-code"]').innerText()).trim();
  result.receipt_code = code;
  if (!/^GY-[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{5}$/.test(code))
    fail(`receipt code shown as ${code}`);
  await audit(page, "receipt");

  // 3. The follow-up, from the receipt page's link.
  doing = "follow it up";
  await page.locator('[data-test="follow-link"]').click();
  await page.locator('[data-test="progress"]').waitFor();
  result.steps = await page.locator('[data-test="step"]').allInnerTexts();
  if (result.steps[0] !== "已受理") fail(`first step shown as ${result.steps[0]}`);
  await audit(page, "follow");

  // An unknown code: said plainly.
  doing = "an unknown code";
  await page.locator("#follow-code").fill("GY-00000-00000-00000-00000");
  await page.getByRole("button", { name: "查询" }).click();
  await page.getByText("没有找到这个查询码对应的线索").waitFor();
  await page.screenshot({ path: join(out, "follow-not-found.png"), fullPage: true });

  if (errors.length) fail(`page errors: ${errors.join("; ")}`);
} catch (e) {
  fail(`stopped at "${doing}": ${e && e.message ? e.message.split("\n")[0] : e}`);
  await page?.screenshot({ path: join(out, "failure.png"), fullPage: true }).catch(() => {});
} finally {
  await browser.close();
}
console.log("E2E_RESULT " + JSON.stringify(result));
process.exit(result.failures.length ? 1 : 0);
