// The console's first loads, measured in Debian's Chromium (headless) on
// the edge: bench/console.sh runs it.
//
//   node console/tests/e2e/bench.mjs BASE_URL RUNS
//   node console/tests/e2e/bench.mjs BASE_URL RUNS dashboard LOGINS_JSON [PROCURATORATE]
//
// Each run is a fresh browser context (nothing cached).  The first form
// loads the public form: the time from navigation to the form being usable
// (its fields loaded from the API, so the select has its options).  The
// second signs in (through the API, not timed) as the demo's chief
// prosecutor, else prosecutor, of PROCURATORATE (default 140200, 大同市)
// from the demo's logins file, and loads /work/dashboard: the time from
// navigation to every chart drawn (the page's performance mark
// "gy-dashboard-drawn", set when each chart's ECharts "finished" event has
// come), with what it counted.  Both: the bytes the page fetched for its
// JavaScript and CSS as they came over the wire (gzip).  Prints one line
// "BENCH_RESULT {json}".
import { readFileSync } from "node:fs";
import { chromium } from "playwright-core";

const [base, runsArg, mode = "public", loginsFile, procArg] = process.argv.slice(2);
const runs = Number(runsArg || "10");
const executablePath = process.env.GY_CHROMIUM || "/usr/bin/chromium";
const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
const loads = [];
let bytes = null;
let extra = {};

/** In the page: the bytes of JavaScript and CSS it fetched, and its HTML's. */
const wire = () => {
  const nav = performance.getEntriesByType("navigation")[0];
  const resources = performance.getEntriesByType("resource");
  const sum = (pred) => resources.filter(pred).reduce((n, r) => n + (r.encodedBodySize || 0), 0);
  return {
    js: sum((r) => r.name.endsWith(".js")),
    css: sum((r) => r.name.endsWith(".css")),
    html: nav ? nav.encodedBodySize : null,
  };
};

/** The demo person to sign in as (lib/staff.mjs reads the file alike). */
function staffOf(file, proc) {
  const found = [];
  const walk = (v) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") {
      if (typeof v.role === "string") found.push(v);
      else Object.values(v).forEach(walk);
    }
  };
  walk(JSON.parse(readFileSync(file, "utf8")));
  const who =
    found.find((p) => p.role === "chief_prosecutor" && p.procuratorate === proc && p.token) ??
    found.find((p) => p.role === "prosecutor" && p.procuratorate === proc && p.token);
  if (!who) throw new Error(`${file}: no prosecutor or chief of ${proc} with a token`);
  return who;
}

async function publicForm() {
  const context = await browser.newContext({ locale: "zh-CN", viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  await page.goto(base + "/", { waitUntil: "commit" });
  // Usable: the form is drawn and the fields came from the API.
  await page.locator("#clue-title").waitFor();
  await page.waitForFunction(() => document.querySelector("#clue-field") !== null);
  loads.push(await page.evaluate(() => performance.now()));
  bytes = await page.evaluate(wire);
  await context.close();
}

async function dashboard(who) {
  const context = await browser.newContext({
    locale: "zh-CN",
    timezoneId: "Asia/Shanghai",
    viewport: { width: 1366, height: 900 },
  });
  const r = await context.request.post(base + "/api/v1/auth/session", {
    data: { token: who.token },
    headers: { "X-Gongyi-Console": "1" },
  });
  if (!r.ok()) throw new Error(`sign-in: HTTP ${r.status()} ${await r.text()}`);
  const page = await context.newPage();
  await page.goto(base + "/work/dashboard", { waitUntil: "commit" });
  await page.waitForFunction(() => performance.getEntriesByName("gy-dashboard-drawn").length > 0, null, {
    timeout: 30000,
    polling: 10,
  });
  const mark = await page.evaluate(() => {
    const m = performance.getEntriesByName("gy-dashboard-drawn")[0];
    return { at: m.startTime, detail: m.detail };
  });
  loads.push(mark.at);
  extra = { who: { role: who.role, procuratorate: who.procuratorate }, counted: mark.detail };
  bytes = await page.evaluate(wire);
  await context.close();
}

try {
  const who = mode === "dashboard" ? staffOf(loginsFile, procArg || "140200") : null;
  for (let i = 0; i < runs; i++) await (who ? dashboard(who) : publicForm());
} finally {
  await browser.close();
}
loads.sort((a, b) => a - b);
const pick = (q) => loads[Math.min(loads.length - 1, Math.floor(q * loads.length))];
const times = { p50: pick(0.5), max: loads[loads.length - 1], all: loads };
console.log(
  "BENCH_RESULT " +
    JSON.stringify(
      mode === "dashboard"
        ? { mode, runs, ...extra, drawn_ms: times, bytes }
        : { runs, usable_ms: times, bytes },
    ),
);
