// Where the token lives (docs/console.md), in a real browser: a volunteer
// (login and password) and a prosecutor (an issued token) sign in through
// the login page; the browser then holds gy_session as the router set it
// (HttpOnly, SameSite=Strict, Path=/api/, expiring with the token), no
// script of the page can read it, a change sent with it but without
// X-Gongyi-Console is refused, and 退出登录 deletes it.
import { start } from "../lib/staff.mjs";

const t = await start("session");

async function checkCookie(page, who) {
  const cookies = await page.context().cookies(t.base + "/api/v1/auth/session");
  const c = cookies.find((x) => x.name === "gy_session");
  if (!c) return t.fail(`${who}: no gy_session cookie for /api/`);
  if (!c.httpOnly || c.sameSite !== "Strict" || c.path !== "/api/")
    t.fail(`${who}: cookie attributes ${JSON.stringify(c)}`);
  if (c.expires <= Date.now() / 1000) t.fail(`${who}: the cookie expires at once (${c.expires})`);
  const seen = await page.evaluate(() => document.cookie);
  if (seen.includes("gy_session") || seen.includes("gy1."))
    t.fail(`${who}: the page's script reads the session: ${seen}`);
  // A forged change from the page's own context, without the console's
  // header: refused before anything is done.
  const status = await page.evaluate(async () => {
    const r = await fetch("/api/v1/auth/session", { method: "DELETE", credentials: "same-origin" });
    return `${r.status} ${(await r.json()).error.code}`;
  });
  if (status !== "403 csrf_header_missing") t.fail(`${who}: DELETE without the header: ${status}`);
}

await t.run(async () => {
  t.step("a volunteer signs in with a password");
  const volunteer = t.everyone.find((p) => p.role === "volunteer" && p.appointed);
  let page = await t.signIn(volunteer);
  await checkCookie(page, volunteer.who);

  t.step("a prosecutor signs in with an issued token");
  const prosecutor = t.person({ role: "prosecutor", procuratorate: "140213" });
  page = await t.signIn(prosecutor);
  await checkCookie(page, prosecutor.who);

  t.step("退出登录 deletes the cookie");
  await page.getByRole("button", { name: "退出登录" }).click();
  await page.waitForURL((u) => u.pathname.startsWith("/login"));
  const left = (await page.context().cookies(t.base + "/api/")).filter((x) => x.name === "gy_session");
  if (left.length) t.fail(`the cookie is still there: ${JSON.stringify(left)}`);
  await page.goto(t.base + "/work");
  await page.waitForURL((u) => u.pathname.startsWith("/login"));
});
