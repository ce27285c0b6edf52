"""bench/console.sh's runner: the console's loads in Chromium
(console/tests/e2e/bench.mjs); prints a table.

- public: intake and the edge with the built console; the public form's
  first load.
- dashboard: a whole site with the living demo loaded (tests/test_demo.py
  starts and loads it, as scripts/up does), or the site at GY_BENCH_SITE
  with the logins file GY_BENCH_LOGINS (a running scripts/up, say); the
  city's 统计 page drawn with the demo's data.
"""
import json
import os
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.environ["GY_SOURCE_DIR"], "tests"))
import gytest  # noqa: E402
from test_edge import EDGE_SOURCE, Edge  # noqa: E402

CONSOLE = os.path.join(gytest.SOURCE_DIR, "console")


def browser(base, runs, *args):
    r = subprocess.run([shutil.which("node"), os.path.join(CONSOLE, "tests", "e2e", "bench.mjs"),
                        base, str(runs)] + list(args),
                       capture_output=True, text=True, timeout=900)
    lines = [x for x in r.stdout.splitlines() if x.startswith("BENCH_RESULT ")]
    if not lines:
        raise SystemExit("bench: no result from the browser:\n" + r.stdout + r.stderr)
    return json.loads(lines[-1][len("BENCH_RESULT "):])


def public(runs):
    folder = gytest.run_dir("bench_console")
    dbname = gytest.create_database("bench_console")
    intake = edge = None
    try:
        intake = gytest.Intake(folder, "intake-bench", dbname,
                               env={"GY_TRUSTED_PROXIES": EDGE_SOURCE}).start()
        edge = Edge(folder, intake.http_port, gytest.free_port(), gytest.free_port(),
                    console_dir=os.path.join(CONSOLE, "dist")).start()
        res = browser("http://127.0.0.1:%d" % edge.port, runs)
    finally:
        for s in (edge, intake):
            if s:
                s.stop()
        gytest.drop_database(dbname)
    u, b = res["usable_ms"], res["bytes"]
    print("| public form usable, %d cold loads: p50 / max | %.0f / %.0f ms | <= 1,000 ms |"
          % (res["runs"], u["p50"], u["max"]))
    print("| JavaScript over the wire (gzip) | %.1f KB | <= 300 KB |" % (b["js"] / 1024))
    print("| CSS over the wire (gzip) | %.1f KB | |" % (b["css"] / 1024))
    print("| index.html | %d bytes | |" % b["html"])


def dashboard(runs):
    site, logins = os.environ.get("GY_BENCH_SITE"), os.environ.get("GY_BENCH_LOGINS")
    try:
        if not site:
            import test_demo  # the demo's whole site, loaded as scripts/up does
            test_demo.setUpModule()
            site = test_demo.S["edge_url"]
            logins = os.path.join(test_demo.S["demo_dir"], "logins.json")
        res = browser(site, runs, "dashboard", logins)
    finally:
        # The site's stop, registered by setUpModule as a module cleanup:
        # run here, however far it got, as unittest would.
        unittest.case.doModuleCleanups()
    d, b, c = res["drawn_ms"], res["bytes"], res["counted"] or {}
    print("| 统计 of 大同市 drawn with the demo's data (%d charts: %d cases, %d clues under "
          "review), %d cold loads: p50 / max | %.0f / %.0f ms | <= 1,000 ms |"
          % (c.get("charts", 0), c.get("cases", 0), c.get("reviews", 0), res["runs"],
             d["p50"], d["max"]))
    print("| its JavaScript over the wire (gzip) | %.1f KB | |" % (b["js"] / 1024))
    print("| its CSS over the wire (gzip) | %.1f KB | |" % (b["css"] / 1024))


def main():
    runs = int(os.environ.get("RUNS", "10"))
    which = os.environ.get("GY_BENCH_WHAT", "all")
    print("| measure | value | target |")
    print("|---|---:|---|")
    if which in ("all", "public"):
        public(runs)
    if which in ("all", "dashboard"):
        dashboard(runs)


if __name__ == "__main__":
    main()
