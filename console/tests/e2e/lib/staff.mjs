// What every signed-in browser test shares (console/tests/e2e/staff/*.mjs,
// run one by one by tests/test_demo.py against a site with the living demo
// loaded): the browser, signing in as a demo person, axe-core and a
// screenshot per page, and the one-line result.
//
//   import { start } from "../lib/staff.mjs";
//   const t = await start("prosecutor");           // reads the environment
//   const page = await t.signIn(t.person({ role: "chief_prosecutor", procuratorate: "140213" }));
//   t.step("open the queue");
//   await page.goto(t.base + "/work/reviews");
//   await t.audit(page, "reviews");                 // axe + screenshot
//   await t.finish();                               // prints E2E_RESULT, exits 0 or 1
//
// Environment: GY_EDGE_URL (the site), GY_DEMO_LOGINS (the demo's
// logins.json), GY_SCREENSHOTS (where the pictures go), GY_CHROMIUM
// (default /usr/bin/chromium).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

/** Every object with a `role` in the logins file, wherever it is nested. */
function people(json) {
  const found = [];
  const walk = (v) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") {
      if (typeof v.role === "string") found.push(v);
      else Object.values(v).forEach(walk);
    }
  };
  walk(json);
  return found;
}

export async function start(name, { viewport = { width: 1366, height: 900 } } = {}) {
  const base = process.env.GY_EDGE_URL;
  const loginsFile = process.env.GY_DEMO_LOGINS;
  const out = process.env.GY_SCREENSHOTS;
  if (!base || !loginsFile || !out) {
    console.error(`usage: GY_EDGE_URL=… GY_DEMO_LOGINS=… GY_SCREENSHOTS=… node ${name}.mjs`);
    process.exit(2);
  }
  const everyone = people(JSON.parse(readFileSync(loginsFile, "utf8")));
  const result = { test: name, pages: {}, failures: [], steps: [] };
  let doing = "start";
  const browser = await chromium.launch({
    executablePath: process.env.GY_CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox"],
  });
  const contexts = [];
  const errors = [];

  const t = {
    base,
    result,
    everyone,
    /** The first demo person whose members equal all of `match`'s. */
    person(match) {
      const p = everyone.find((x) => Object.entries(match).every(([k, v]) => x[k] === v));
      if (!p) throw new Error(`no demo login matches ${JSON.stringify(match)}`);
      return p;
    },
    step(what) {
      doing = what;
      result.steps.push(what);
    },
    fail(what) {
      result.failures.push(`${doing}: ${what}`);
    },
    /** A fresh browser (its own cookies) signed in as `who` through the login page. */
    async signIn(who) {
      const context = await browser.newContext({ locale: "zh-CN", timezoneId: "Asia/Shanghai", viewport });
      contexts.push(context);
      const page = await context.newPage();
      page.setDefaultTimeout(15000);
      page.on("pageerror", (e) => errors.push(`${doing}: ${e}`));
      await page.goto(base + "/login");
      if (who.token) {
        await page.getByRole("tab", { name: "检察人员" }).click();
        await page.locator("#login-token").fill(who.token);
      } else {
        await page.locator("#login-login").fill(who.login);
        await page.locator("#login-password").fill(who.password);
      }
      await page.getByRole("button", { name: "登录" }).click();
      await page.waitForURL((u) => u.pathname.startsWith("/work"));
      return page;
    },
    /** axe-core (WCAG 2.0/2.1 A and AA) on the page as it is, then a
     *  screenshot; a serious or critical violation fails the test. */
    async audit(page, pageName) {
      // The page at rest: Element Plus fades a button's colour in and out
      // on hover and focus, and axe reading a colour half-way through a
      // fade reports contrast that no user sees at rest.  So no pointer
      // over it, no transition or animation, and a frame to settle.
      await page.mouse.move(0, 0);
      await page.addStyleTag({
        content: "*,*::before,*::after{transition:none!important;animation:none!important}",
      });
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      // And none still running (a spinner's endless one does not count).
      await page.waitForFunction(() =>
        document.getAnimations().every(
          (a) => a.playState !== "running" || a.effect?.getComputedTiming().endTime === Infinity,
        ),
      );
      await page.addScriptTag({ content: axeSource });
      const r = await page.evaluate(async () => {
        const res = await window.axe.run(document, {
          runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
        });
        return res.violations.map((v) => ({
          id: v.id,
          impact: v.impact,
          nodes: v.nodes.length,
          help: v.help,
          targets: v.nodes.slice(0, 3).map((n) => n.target.join(" ")),
        }));
      });
      result.pages[pageName] = { violations: r };
      const bad = r.filter((v) => v.impact === "serious" || v.impact === "critical");
      if (bad.length)
        t.fail(`${pageName}: axe ${bad.map((v) => `${v.id} (${v.impact}) ${v.targets}`).join("; ")}`);
      await page.screenshot({ path: join(out, `${name}-${pageName}.png`), fullPage: true });
    },
    /** Runs the test's body; any exception is a failure of the step under way. */
    async run(body) {
      try {
        await body();
      } catch (e) {
        result.failures.push(`${doing}: ${e && e.message ? e.message.split("\n")[0] : e}`);
      }
      return t.finish();
    },
    async finish() {
      for (const e of errors) result.failures.push(`page error: ${e}`);
      await Promise.all(contexts.map((c) => c.close().catch(() => undefined)));
      await browser.close();
      console.log("E2E_RESULT " + JSON.stringify(result));
      process.exit(result.failures.length ? 1 : 0);
    },
  };
  return t;
}
