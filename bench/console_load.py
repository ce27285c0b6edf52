"""bench/console.sh's runner: intake and the edge with the built console,
then console/tests/e2e/bench.mjs in Chromium; prints a table."""
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.environ["GY_SOURCE_DIR"], "tests"))
import gytest  # noqa: E402
from test_edge import EDGE_SOURCE, Edge  # noqa: E402


def main():
    runs = int(os.environ.get("RUNS", "10"))
    console = os.path.join(gytest.SOURCE_DIR, "console")
    folder = gytest.run_dir("bench_console")
    dbname = gytest.create_database("bench_console")
    intake = edge = None
    try:
        intake = gytest.Intake(folder, "intake-bench", dbname,
                               env={"GY_TRUSTED_PROXIES": EDGE_SOURCE}).start()
        edge = Edge(folder, intake.http_port, gytest.free_port(), gytest.free_port(),
                    console_dir=os.path.join(console, "dist")).start()
        r = subprocess.run([shutil.which("node"),
                            os.path.join(console, "tests", "e2e", "bench.mjs"),
                            "http://127.0.0.1:%d" % edge.port, str(runs)],
                           capture_output=True, text=True, timeout=600)
        lines = [x for x in r.stdout.splitlines() if x.startswith("BENCH_RESULT ")]
        if not lines:
            raise SystemExit("bench: no result from the browser:\n" + r.stdout + r.stderr)
        res = json.loads(lines[-1][len("BENCH_RESULT "):])
    finally:
        for s in (edge, intake):
            if s:
                s.stop()
        gytest.drop_database(dbname)
    u, b = res["usable_ms"], res["bytes"]
    print("| measure | value | target |")
    print("|---|---:|---|")
    print("| public form usable, %d cold loads: p50 / max | %.0f / %.0f ms | <= 1,000 ms |"
          % (res["runs"], u["p50"], u["max"]))
    print("| JavaScript over the wire (gzip) | %.1f KB | <= 300 KB |" % (b["js"] / 1024))
    print("| CSS over the wire (gzip) | %.1f KB | |" % (b["css"] / 1024))
    print("| index.html | %d bytes | |" % b["html"])


if __name__ == "__main__":
    main()
