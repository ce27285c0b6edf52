"""The living demo (scripts/lib/demo.py) against a whole site of its own, as
scripts/up loads it: one intake, the router with its API and assessment on,
the workflow and the edge serving the built console, restarted on the
demo's clocks in the past for its history, then on the suite's.  What a user
of the console would notice is checked through the APIs: volunteers
appointed with certificates who can log in, clues in every stage, cases in
several states with documents served, hearings, consultations, an
observation and impact sums, deadlines due soon and missed.

Then it runs the console's staff browser tests: every
console/tests/e2e/staff/*.mjs, in name order, in Debian's Chromium through
node, with GY_EDGE_URL (the edge), GY_DEMO_LOGINS (the demo's logins.json)
and GY_SCREENSHOTS (a folder of this module's run folder) in the
environment; a script that fails (exit status, or failures in its
E2E_RESULT line) fails the test."""
import glob
import json
import os
import shutil
import subprocess
import time
import unittest

import gytest
from test_console import CHROMIUM, NODE
from test_edge import EDGE_SOURCE, NGINX, Edge

S = {}
DEMO = os.path.join(gytest.SOURCE_DIR, "scripts", "lib", "demo.py")
STAFF_TESTS = os.path.join(gytest.SOURCE_DIR, "console", "tests", "e2e", "staff")
PHASES = 4


def demo(*args, timeout=120):
    """Runs the loader as scripts/up does, on the suite's clock; returns its
    standard output, fails with its error line."""
    cmd = ["/usr/bin/python3", DEMO] + list(args) + [
        "--dir", S["demo_dir"], "--edge", S["edge_url"],
        "--router", "http://127.0.0.1:%d" % S["router"].http_port,
        "--token-secret", S["token_secret"], "--gy-token", gytest.TOKEN_BIN]
    return gytest.run(cmd, timeout=timeout)


def restart_site(clock):
    """Every service stopped and started again on the phase's clock (None:
    the suite's), consumers last, as scripts/up does between the phases:
    each on `clock` plus the time since the phase began, so that all share
    one timeline.  Returns that clock now, for the loader."""
    start_ms, t0 = clock and gytest.parse_instant(clock), gytest.now_ms()

    def running():
        return clock and gytest.format_instant(start_ms + gytest.now_ms() - t0)
    for name in ("workflow", "router", "intake"):
        S[name].stop()
    for name in ("intake", "router", "workflow"):
        service = S[name]
        service.env.pop("GY_CLOCK_START", None)
        if clock:
            service.env["GY_CLOCK_START"] = running()
        service.start()
    return running()


def setUpModule():
    # Stopped however far this gets: unittest skips tearDownModule when
    # setUpModule fails (a demo step refused, say), and an edge left
    # running would outlive the suite.
    unittest.addModuleCleanup(stop_site)
    gytest.require_workflow_build()
    console = os.path.join(gytest.SOURCE_DIR, "console", "dist")
    if not os.path.exists(os.path.join(console, "index.html")):
        raise RuntimeError("the console is not built (scripts/console build, or the build's "
                           "console target)")
    if not os.access(NGINX, os.X_OK):
        raise RuntimeError("nginx is missing (scripts/deps installs it)")
    folder = gytest.run_dir("test_demo")
    S["folder"] = folder
    S["demo_dir"] = os.path.join(folder, "demo")
    S["token_secret"], S["token_public"] = gytest.token_keys(folder)
    S["dbname"] = gytest.create_database("demo")
    behind_edge = {"GY_TRUSTED_PROXIES": EDGE_SOURCE}
    intake = gytest.Intake(folder, "intake-demo", S["dbname"],
                           env=dict(behind_edge, GY_TOKEN_PUBLIC_KEY_FILE=S["token_public"]))
    router = gytest.Router(folder, "router-demo", S["dbname"], [intake],
                           env=gytest.router_api_env(folder, S["token_secret"],
                                                     S["token_public"], GY_ASSESSMENT="on",
                                                     **behind_edge))
    workflow = gytest.Workflow(folder, "workflow-demo", S["dbname"], [router],
                               token_public=S["token_public"], env=behind_edge)
    S.update(intake=intake, router=router, workflow=workflow)
    gytest.start_site(intake, router, workflow)
    S["edge"] = Edge(folder, intake.http_port, router.http_port, workflow.http_port,
                     console_dir=console).start()
    S["edge_url"] = "http://127.0.0.1:%d" % S["edge"].port

    # The load, phase by phase, as scripts/up runs it.
    S["status_before"] = demo("status").strip()
    now = gytest.format_instant(gytest.now_ms())
    S["output"] = ""
    for phase in range(1, PHASES + 1):
        clock = demo("clock", str(phase), "--now", now).strip() or None
        clock = restart_site(clock)
        last = None if gytest.SUITE_CLOCK is None else gytest.format_instant(gytest.now_ms())
        S["output"] += demo("load", str(phase), "--clock", clock or last or "-")
    demo("logins")
    with open(os.path.join(S["demo_dir"], "logins.json")) as f:
        S["logins"] = json.load(f)


def stop_site():
    for key in ("edge", "workflow", "router", "intake"):
        if key in S:
            S[key].stop()
    if "dbname" in S:
        gytest.drop_database(S["dbname"])


def person(who):
    return [p for p in S["logins"]["people"] if p["who"] == who][0]


def api(method, path, who=None, body=None, token=None):
    h = {}
    if body is not None:
        h["Content-Type"] = "application/json"
    if who or token:
        h["Authorization"] = "Bearer " + (token or person(who)["token"])
    r = gytest.http_request(S["edge"].port, method, path, body, h)
    return r


def get(path, who=None):
    r = api("GET", path, who)
    assert r.status == 200, (path, r)
    return r.json()


class DemoTest(gytest.IntakeTestCase):

    def test_loaded_once_and_said_so(self):
        self.assertEqual(S["status_before"], "empty")
        self.assertEqual(demo("status").strip(), "loaded")
        for phase in range(1, PHASES + 1):
            self.assertIn("demo: phase %d of %d" % (phase, PHASES), S["output"])

    def test_volunteers_appointed_with_certificates_and_their_logins(self):
        items = get("/api/v1/volunteers?limit=100", "datong-admin")["items"]
        appointed = [v for v in items if v["status"] == "appointed"]
        self.assertEqual(len(appointed), 6, items)
        self.assertEqual({v["procuratorate"] for v in appointed}, {"140213", "140200"})
        for v in appointed:
            self.assertTrue(v["certificate_no"] and v["term_start"] and v["term_end"], v)
            self.assertFalse(v["term_expired"], v)
        self.assertEqual([v["status"] for v in items if v not in appointed], ["applied"])
        for p in S["logins"]["people"]:
            if p["role"] != "volunteer":
                continue
            r = api("POST", "/api/v1/auth/login", body={"login": p["login"],
                                                        "password": p["password"]})
            if p["appointed"]:
                self.assertEqual(r.status, 200, (p["login"], r))
                self.assertEqual(r.json()["volunteer_id"], p["volunteer_id"])
            else:
                self.assertError(r, 403, "not_appointed")

    def test_staff_tokens_in_files_and_scopes(self):
        staff = [p for p in S["logins"]["people"] if p["role"] != "volunteer"]
        self.assertEqual({p["procuratorate"] for p in staff}, {"140213", "140214", "140200"})
        self.assertEqual({p["role"] for p in staff}, {"prosecutor", "chief_prosecutor", "admin"})
        for p in staff:
            with open(p["token_file"]) as f:
                self.assertEqual(f.read().strip(), p["token"])
            if p["role"] == "admin":
                continue
            cases = get("/api/v1/workflow/cases?limit=100", p["who"])["items"]
            self.assertTrue(cases, p["who"])
            self.assertTrue(all(c["procuratorate"].startswith(p["procuratorate"].rstrip("0"))
                                for c in cases), p["who"])
        self.assertEqual(S["logins"]["edge"], S["edge_url"])

    def test_clues_in_every_stage(self):
        every = {"assessing", "accepted", "transferred", "rejected", "not_opened", "case_opened",
                 "announced", "suggestion_issued", "case_closed"}
        steps = {}

        def followed():
            # intake applies the workflow's events a moment after they were
            # written (and after each restart, once it has replayed them).
            for key, clue in S["logins"]["clues"].items():
                steps[key] = get("/api/v1/clues/%s" % clue["receipt_code"])["status"]
            return every <= set(steps.values())
        deadline = time.monotonic() + 30
        while not followed() and time.monotonic() < deadline:
            time.sleep(0.2)
        self.assertLessEqual(every, set(steps.values()), steps)
        routed = get("/api/v1/routed-clues?limit=100", "datong-prosecutor")["items"]
        self.assertLessEqual({"assessing", "review", "routed", "rejected"},
                             {c["status"] for c in routed})
        self.assertIn("triage", {c["queue"] for c in routed})
        reviews = get("/api/v1/workflow/reviews?limit=100", "datong-chief")["items"]
        self.assertGreaterEqual(len(reviews), 3)
        self.assertIn(None, [r["assignee"] for r in reviews])
        self.assertTrue([r for r in reviews if r["assignee"]])
        transfers = get("/api/v1/transfers", "yungang-prosecutor")
        self.assertEqual(len(transfers["to_answer"]), 1, transfers)
        # Volunteers have work waiting: assessments and a consultation.
        waiting = 0
        for p in S["logins"]["people"]:
            if p["role"] == "volunteer" and p["appointed"]:
                login = api("POST", "/api/v1/auth/login",
                            body={"login": p["login"], "password": p["password"]}).json()
                tasks = gytest.http_request(S["router"].http_port, "GET",
                                            "/api/v1/tasks?status=assigned", headers={
                                                "Authorization": "Bearer " + login["token"]})
                mine = api("GET", "/api/v1/workflow/me/tasks", token=login["token"]).json()
                waiting += len(tasks.json()["items"]) + len(mine["consultations"])
        self.assertGreaterEqual(waiting, 5)

    def test_volunteers_follow_the_clues_they_reported(self):
        """我的线索: the demo's informants reported clues signed in (张伟 the
        盲道 and the 无障碍厕位, 王建国 the 油烟); each sees exactly theirs,
        newest first, as the public follow-up says them."""
        clues = S["logins"]["clues"]
        want = {"zhangwei": ["cesuo", "mangdao"], "wangjianguo": ["youyan"]}
        for p in S["logins"]["people"]:
            if p["role"] != "volunteer" or not p["appointed"]:
                continue
            token = api("POST", "/api/v1/auth/login",
                        body={"login": p["login"], "password": p["password"]}).json()["token"]

            def listed():
                r = api("GET", "/api/v1/clues", token=token)
                self.assertEqual(r.status, 200, r)
                items = r.json()["items"]
                public = [get("/api/v1/clues/%s" % i["receipt_code"]) for i in items]
                return items, [(i["status"], i["last_step"]["at"]) for i in items], [
                    (f["status"], f["timeline"][-1]["at"]) for f in public]
            # As in test_clues_in_every_stage: intake may still be applying
            # the workflow's last events.
            deadline = time.monotonic() + 30
            items, mine, public = listed()
            while mine != public and time.monotonic() < deadline:
                time.sleep(0.2)
                items, mine, public = listed()
            self.assertEqual([i["receipt_code"] for i in items],
                             [clues[k]["receipt_code"] for k in want.get(p["login"], [])],
                             p["login"])
            self.assertEqual(mine, public, p["login"])

    def test_cases_through_their_stages(self):
        cases = get("/api/v1/workflow/cases?limit=100", "datong-chief")["items"]
        self.assertLessEqual({"closed", "awaiting_reply", "investigating",
                              "investigating_suspended", "consulting", "announcement"},
                             {c["state"] for c in cases})
        self.assertEqual({c["kind"] for c in cases}, {"administrative", "civil"})
        self.assertEqual({c["procuratorate"] for c in cases}, {"140213", "140214", "140200"})
        closed = [get("/api/v1/workflow/cases/%s" % c["id"], "datong-chief")
                  for c in cases if c["state"] == "closed"]
        self.assertGreaterEqual(len(closed), 2)
        totals = {}
        for case in closed:
            self.assertTrue(case["public_outcome"], case["id"])
            kinds = [d["kind"] for d in case["documents"]]
            self.assertEqual(kinds, ["opening_decision", "suggestion", "closing_decision"])
            served = [d for d in case["documents"] if d["served"]]
            self.assertGreaterEqual(len(served), 2, case["documents"])
            self.assertTrue(case["observations"], case["id"])
            for s in case["impact"]["sums"]:
                totals[s["measure"]] = s["total"]
        self.assertEqual(totals.get("eco_compensation"), "386000", totals)
        self.assertEqual(totals.get("blind_lanes_restored"), "46", totals)
        everything = [get("/api/v1/workflow/cases/%s" % c["id"], "datong-chief") for c in cases]
        hearings = [h for c in everything for h in c["hearings"]]
        self.assertEqual(sorted(h["state"] for h in hearings), ["held", "scheduled"])
        public = get("/api/v1/workflow/public/hearings")["items"]
        self.assertEqual([h["state"] for h in public], ["scheduled"])
        answered = [t for c in everything for q in c["consultations"] for t in q["tasks"]
                    if t["state"] == "answered"]
        self.assertGreaterEqual(len(answered), 2)
        suspended = [c for c in everything if c["state"].endswith("_suspended")][0]
        self.assertTrue(all(d["paused"] for d in suspended["deadlines"]
                            if not d["settled_at"]), suspended["deadlines"])

    def test_deadlines_due_soon_and_missed(self):
        soon = get("/api/v1/workflow/cases?queue=due_soon", "datong-chief")["items"]
        self.assertTrue(soon)
        overdue = get("/api/v1/workflow/cases?queue=overdue", "datong-chief")["items"]
        self.assertGreaterEqual(len(overdue), 2)
        # DeadlineMissed fired once real time resumed: the reply that came
        # late is on a closed case's record too.
        missed = []
        for c in get("/api/v1/workflow/cases?limit=100", "datong-chief")["items"]:
            case = get("/api/v1/workflow/cases/%s" % c["id"], "datong-chief")
            missed += [d["rule"] for d in case["deadlines"] if d["missed_at"]]
        self.assertIn("organ_reply", missed)
        self.assertIn("investigation", missed)


class StaffBrowserTest(gytest.IntakeTestCase):
    """The runner of the console's staff browser tests."""

    def test_staff_scripts(self):
        scripts = sorted(glob.glob(os.path.join(STAFF_TESTS, "*.mjs")))
        if not scripts:
            return  # none written yet: nothing to run
        for what, path in (("chromium", CHROMIUM), ("node", NODE)):
            self.assertTrue(path and os.access(path, os.X_OK),
                            "%s is missing (scripts/deps installs it)" % what)
        out = os.path.join(S["folder"], "screenshots")
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
        env = dict(os.environ, GY_CHROMIUM=CHROMIUM, GY_EDGE_URL=S["edge_url"],
                   GY_DEMO_LOGINS=os.path.join(S["demo_dir"], "logins.json"),
                   GY_SCREENSHOTS=out)
        for script in scripts:
            name = os.path.basename(script)
            with self.subTest(script=name):
                r = subprocess.run([NODE, script], capture_output=True, text=True, timeout=180,
                                   env=env, cwd=os.path.dirname(script))
                detail = "%s exited %d\n%s\n%s" % (name, r.returncode, r.stdout[-4000:],
                                                   r.stderr[-4000:])
                self.assertEqual(r.returncode, 0, detail)
                results = [x for x in r.stdout.splitlines() if x.startswith("E2E_RESULT ")]
                if results:
                    result = json.loads(results[-1][len("E2E_RESULT "):])
                    self.assertEqual(result.get("failures", []), [], detail)


if __name__ == "__main__":
    unittest.main()
