// The console's first load, measured in Debian's Chromium (headless) on the
// edge: bench/console.sh runs it.
//
//   node console/tests/e2e/bench.mjs BASE_URL RUNS
//
// Each run is a fresh browser context (nothing cached) loading the public
// form: the time from navigation to the form being usable (its fields
// loaded from the API, so the select has its options), and the bytes the
// page fetched for its JavaScript and CSS as they came over the wire
// (gzip).  Prints one line "BENCH_RESULT {json}".
import { chromium } from "playwright-core";

const [base, runsArg] = process.argv.slice(2);
const runs = Number(runsArg || "10");
const executablePath = process.env.GY_CHROMIUM || "/usr/bin/chromium";
const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
const loads = [];
let bytes = null;
try {
  for (let i = 0; i < runs; i++) {
    const context = await browser.newContext({ locale: "zh-CN", viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    await page.goto(base + "/", { waitUntil: "commit" });
    // Usable: the form is drawn and the fields came from the API.
    await page.locator("#clue-title").waitFor();
    await page.waitForFunction(() => document.querySelector("#clue-field") !== null);
    const m = await page.evaluate(() => {
      const nav = performance.getEntriesByType("navigation")[0];
      const resources = performance.getEntriesByType("resource");
      const sum = (pred) =>
        resources.filter(pred).reduce((n, r) => n + (r.encodedBodySize || 0), 0);
      return {
        usable_ms: performance.now(),
        load_event_ms: nav ? nav.loadEventEnd : null,
        js_bytes: sum((r) => r.name.endsWith(".js")),
        css_bytes: sum((r) => r.name.endsWith(".css")),
        html_bytes: nav ? nav.encodedBodySize : null,
      };
    });
    loads.push(m.usable_ms);
    bytes = { js: m.js_bytes, css: m.css_bytes, html: m.html_bytes };
    await context.close();
  }
} finally {
  await browser.close();
}
loads.sort((a, b) => a - b);
const pick = (q) => loads[Math.min(loads.length - 1, Math.floor(q * loads.length))];
console.log("BENCH_RESULT " + JSON.stringify({
  runs, usable_ms: { p50: pick(0.5), max: loads[loads.length - 1], all: loads }, bytes,
}));
