"""Phases 2-6 of bench/workflow.sh (which starts PostgreSQL, intake, the
router and the workflow, and sets the environment): cases made through the
real path, a million open deadlines, the due scan's cost at two table
sizes, how late due deadlines fire, and transitions through the API.
Debian's python3 with python3-psycopg2."""

import http.client
import json
import math
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import threading
import time
import uuid

import psycopg2

E = os.environ
TMP = E["TMP"]
PROC = "140213"  # 大同市平城区: every bench case is there


def say(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


def pct(values, p):
    if not values:
        return None
    values = sorted(values)
    k = max(0, min(len(values) - 1, math.ceil(p / 100.0 * len(values)) - 1))
    return values[k]


def db():
    conn = psycopg2.connect(E["DSN"])
    conn.autocommit = True
    return conn


def scalar(conn, sql, args=None):
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchone()[0]


def wait_for(what, predicate, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise SystemExit("bench: timed out waiting for " + what)


# ---- phase 2: cases through intake, the router and the review ----

# Random CJK text: every clue its own matter, so the router clusters none
# of them together and each is reviewed and opened on its own.
def random_text(n):
    return "".join(chr(random.randint(0x4E00, 0x9FA5)) for _ in range(n))


def parallel(items, work, threads=8):
    """Runs work(conn, item) over items on `threads` keep-alive connections."""
    items = list(items)
    errors = []
    lock = threading.Lock()

    def worker(chunk, port):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for item in chunk:
            try:
                work(conn, item)
            except Exception as e:  # noqa: BLE001 - reported below
                with lock:
                    errors.append(repr(e))
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.close()
    return items, errors, worker


def run_parallel(items, port, work, threads=8):
    items, errors, worker = parallel(items, work)
    ts = [threading.Thread(target=worker, args=(items[i::threads], port)) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errors:
        raise SystemExit("bench: %d requests failed, e.g. %s" % (len(errors), errors[0]))


def post(conn, path, body, headers=None, want=(200, 201)):
    h = {"Content-Type": "application/json"}
    h.update(headers or {})
    conn.request("POST", path, json.dumps(body, ensure_ascii=False).encode(), h)
    r = conn.getresponse()
    data = r.read()
    if r.status not in want:
        raise RuntimeError("%s -> %d %s" % (path, r.status, data[:300]))
    return json.loads(data) if data else None


def make_cases(conn, n, token):
    say("cases: %d clues through intake, the router and the review" % n)
    intake = int(E["INTAKE_HTTP"])
    workflow = int(E["WORKFLOW_HTTP"])

    def submit(c, i):
        post(c, "/api/v1/clues", {
            "title": "河道排污线索 %d" % i, "description": random_text(300),
            "field_code": "ecology", "region_code": PROC,
            "location": {"address": "大同市平城区御河东路 %d 号" % i},
            "source_channel": "web"}, {"Idempotency-Key": str(uuid.uuid4())}, want=(201,))
    t0 = time.monotonic()
    run_parallel(range(n), intake, submit)
    wait_for("%d reviews" % n, lambda: scalar(
        conn, "SELECT count(*) FROM workflow.review WHERE state = 'under_review'") >= n, 300)
    with conn.cursor() as cur:
        cur.execute("SELECT clue_id FROM workflow.review WHERE state = 'under_review'"
                    " ORDER BY clue_id LIMIT %s", (n,))
        clues = [r[0] for r in cur.fetchall()]
    auth = {"Authorization": "Bearer " + token}
    opened = []
    lock = threading.Lock()

    def open_and_serve(c, clue):
        r = post(c, "/api/v1/workflow/reviews/%s/decide" % clue,
                 {"decision": "open", "case_kind": "administrative", "reason": "立案审查"}, auth)
        case = r["review"]["case_id"]
        post(c, "/api/v1/workflow/cases/%s/steps" % case,
             {"event": "serve_opening_decision", "reason": "立案决定书已送达"}, auth)
        with lock:
            opened.append(case)
    run_parallel(clues, workflow, open_and_serve)
    say("cases: %d opened and investigating in %.1f s" % (len(opened), time.monotonic() - t0))
    return opened


# ---- phase 3: a million open deadlines ----

def fill(conn, rows):
    """rows more open deadlines, ten per filler case, due 1 to 24 months
    from now (never due during the run), each a copy of a real one."""
    cases = max(1, rows // 10)
    say("filling: %d open deadlines on %d more cases" % (rows, cases))
    t0 = time.monotonic()
    with conn.cursor() as cur:
        cur.execute("""
            CREATE TEMP TABLE bench_case AS
            SELECT gen_random_uuid() AS id, g AS n FROM generate_series(1, %s) g""", (cases,))
        cur.execute("""
            INSERT INTO workflow."case" (id, kind, procuratorate, field_code, state, title,
                                         opened_by, opened_at, updated_at)
            SELECT id, 'administrative', %s, 'ecology', 'investigating', '基准填充案件 ' || n,
                   'bench', now(), now() FROM bench_case""", (PROC,))
        cur.execute("""
            INSERT INTO workflow.deadline (id, case_id, procuratorate, rule, rule_version,
                start_event, start_at, urgent, due_at, warn_at, last_day, provisional,
                uncovered_year, detail, updated_at)
            SELECT gen_random_uuid(), c.id, t.procuratorate, t.rule, t.rule_version,
                   t.start_event, t.start_at, t.urgent,
                   now() + make_interval(days => 30 + (c.n * 10 + k) % 700),
                   now() + make_interval(days => 27 + (c.n * 10 + k) % 700),
                   t.last_day, t.provisional, t.uncovered_year, t.detail, now()
              FROM bench_case c CROSS JOIN generate_series(0, 9) k
              CROSS JOIN (SELECT * FROM workflow.deadline WHERE rule = 'investigation'
                           LIMIT 1) t""")
        cur.execute("DROP TABLE bench_case")
        cur.execute("VACUUM ANALYZE workflow.deadline")
        cur.execute('VACUUM ANALYZE workflow."case"')
        # The bulk insert's WAL written out now: a table that grew over
        # months is measured, not the checkpoint a minute's insert brings.
        cur.execute("CHECKPOINT")
    say("filling: done in %.1f s" % (time.monotonic() - t0))


# ---- phase 4: the due scan's cost ----

def scan_cost(conn, samples=300):
    """The statement the workflow's gy_due runs each interval, timed from
    here: milliseconds per call (nothing is due: the steady state)."""
    now_ms = int(time.time() * 1000)
    times = []
    with conn.cursor() as cur:
        for _ in range(samples):
            t = time.perf_counter()
            cur.execute("SELECT count(*) FROM workflow.deadlines_due(%s, 500)", (now_ms,))
            cur.fetchone()
            times.append((time.perf_counter() - t) * 1000)
    # Pages read per scan, the noise-free measure: a Function Scan's
    # buffers include the statements run inside the function.
    with conn.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)"
                    " SELECT * FROM workflow.deadlines_due(%s, 500)", (now_ms,))
        plan = cur.fetchone()[0][0]["Plan"]
    pages = plan.get("Shared Hit Blocks", 0) + plan.get("Shared Read Blocks", 0)
    open_rows = scalar(conn, "SELECT count(*) FROM workflow.deadline WHERE settled_at IS NULL")
    return {"open_deadlines": open_rows, "samples": samples, "pages_per_scan": pages,
            "ms_p50": round(statistics.median(times), 3), "ms_p99": round(pct(times, 99), 3)}


# ---- phase 5: how late due deadlines fire ----

def firing(conn, probes, spread_s):
    """probes deadlines on filler cases, warned uniformly over the next
    spread_s seconds (from 3 s on) and due 0.5 s after their warning: each
    fires DeadlineDue at warn_at and DeadlineMissed at due_at.  Lateness =
    the instant the workflow marked it fired (its clock) - when it was
    due."""
    say("firing: %d deadlines due over %d s among %d open" % (
        probes, spread_s, scalar(conn, "SELECT count(*) FROM workflow.deadline"
                                       " WHERE settled_at IS NULL")))
    with conn.cursor() as cur:
        cur.execute("""
            CREATE TEMP TABLE bench_probe AS
            SELECT gen_random_uuid() AS id,
                   now() + make_interval(secs => 3 + %s * g / %s::float8) AS warn_at
              FROM generate_series(1, %s) g""", (spread_s, probes, probes))
        cur.execute("""
            INSERT INTO workflow.deadline (id, case_id, procuratorate, rule, rule_version,
                start_event, start_at, urgent, due_at, warn_at, last_day, provisional,
                uncovered_year, detail, updated_at)
            SELECT p.id, c.id, t.procuratorate, t.rule, t.rule_version, t.start_event,
                   t.start_at, t.urgent, p.warn_at + interval '0.5 s', p.warn_at, t.last_day,
                   t.provisional, t.uncovered_year, t.detail, now()
              FROM bench_probe p
              CROSS JOIN LATERAL (SELECT id FROM workflow."case" WHERE opened_by = 'bench'
                                  OFFSET (abs(hashtext(p.id::text)) % 1000) LIMIT 1) c
              CROSS JOIN (SELECT * FROM workflow.deadline WHERE rule = 'investigation'
                           LIMIT 1) t""")
    wait_for("every probe to fire", lambda: scalar(
        conn, "SELECT count(*) FROM workflow.deadline d JOIN bench_probe p USING (id)"
              " WHERE d.warned_at IS NOT NULL AND d.missed_at IS NOT NULL") >= probes,
        spread_s + 120)
    with conn.cursor() as cur:
        cur.execute("""
            SELECT extract(epoch FROM d.warned_at - d.warn_at) * 1000,
                   extract(epoch FROM d.missed_at - d.due_at) * 1000
              FROM workflow.deadline d JOIN bench_probe p USING (id)""")
        rows = cur.fetchall()
        cur.execute("DROP TABLE bench_probe")
    out = {"probes": probes, "spread_s": spread_s}
    for i, kind in ((0, "DeadlineDue"), (1, "DeadlineMissed")):
        late = [float(r[i]) for r in rows]
        out[kind] = {"late_ms_p50": round(pct(late, 50), 1), "late_ms_p99": round(pct(late, 99), 1),
                     "late_ms_max": round(max(late), 1), "early": sum(1 for x in late if x < 0),
                     "over_1s": sum(1 for x in late if x > 1000)}
    return out


# ---- phase 6: transitions through the API ----

def transitions(conn, cases, token, duration, connections):
    cases_file = os.path.join(TMP, "cases.txt")
    with open(cases_file, "w") as f:
        f.write("\n".join(cases) + "\n")
    before = scalar(conn, "SELECT count(*) FROM workflow.case_step"
                          " WHERE event IN ('suspend', 'resume')")
    say("transitions: wrk -t2 -c%d -d%ds, suspend/resume on %d cases" % (
        connections, duration, len(cases)))
    env = dict(os.environ, CASES_FILE=cases_file, TOKEN=token, WRK_THREADS="2")
    out = subprocess.run(
        ["wrk", "-t2", "-c%d" % connections, "-d%ds" % duration, "--timeout", "10s", "-s",
         os.path.join(E["GY_ROOT"], "bench", "workflow_steps.lua"),
         "http://127.0.0.1:%s" % E["WORKFLOW_HTTP"]],
        env=env, capture_output=True, text=True, check=True).stdout
    m = re.search(r"^WRK_RESULT (\{.*\})$", out, re.M)
    if not m:
        raise SystemExit("bench: wrk printed no result:\n" + out)
    w = json.loads(m.group(1))
    stored = scalar(conn, "SELECT count(*) FROM workflow.case_step"
                          " WHERE event IN ('suspend', 'resume')") - before
    ok = w["statuses"].get("200", 0)
    secs = w["duration_us"] / 1e6
    lat = {k: round(v / 1000.0, 2) for k, v in w["latency_us"].items()}
    return {"connections": connections, "duration_s": round(secs, 2), "requests": w["requests"],
            "statuses": w["statuses"], "socket_errors": w["errors"], "steps_stored": stored,
            "transitions_per_s": round(ok / secs, 1), "latency_ms": lat}


def main():
    conn = db()
    load_before = open("/proc/loadavg").read().split()[:3]
    token = E["TOKEN"]
    cases = make_cases(conn, int(E["CASES"]), token)
    small = scan_cost(conn)
    say("scan: %(ms_p50).3f ms p50, %(pages_per_scan)d pages, with %(open_deadlines)d open"
        " deadlines" % small)
    fill(conn, int(E["DEADLINES"]))
    large = scan_cost(conn)
    say("scan: %(ms_p50).3f ms p50, %(pages_per_scan)d pages, with %(open_deadlines)d open"
        " deadlines" % large)
    fire = firing(conn, int(E["PROBES"]), int(E["SPREAD"]))
    steps = transitions(conn, cases, token, int(E["DURATION"]), int(E["CONNECTIONS"]))
    try:
        rev = subprocess.run(["git", "-C", E["GY_ROOT"], "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, check=True).stdout.strip()
    except Exception:  # noqa: BLE001 - a tree without git
        rev = None
    result = {"date": E["STAMP"], "commit": rev,
              "machine": {"cpus": os.cpu_count(), "kernel": platform.release(),
                          "loadavg_before": " ".join(load_before)},
              "scan_interval_ms": E.get("SCAN_MS") or "default",
              "scan": {"small": small, "large": large,
                       "large_over_small_p50": round(large["ms_p50"] / small["ms_p50"], 2)},
              "firing": fire, "transitions": steps}
    with open(E["OUT"], "w") as f:
        json.dump(result, f, indent=2, ensure_ascii=False)
    print("| measure | value |")
    print("|---|---|")
    for s in (small, large):
        print("| due scan, %d open deadlines: pages read, p50 / p99 | %d, %.3f / %.3f ms |" % (
            s["open_deadlines"], s["pages_per_scan"], s["ms_p50"], s["ms_p99"]))
    for kind in ("DeadlineDue", "DeadlineMissed"):
        f = fire[kind]
        print("| %s late, p50 / p99 / max (over 1 s) | %s / %s / %s ms (%d of %d) |" % (
            kind, f["late_ms_p50"], f["late_ms_p99"], f["late_ms_max"], f["over_1s"],
            fire["probes"]))
    lat = steps["latency_ms"]
    print("| transitions through the API | %.0f/s (%d stored; statuses %s) |" % (
        steps["transitions_per_s"], steps["steps_stored"], json.dumps(steps["statuses"])))
    print("| transition latency p50 / p99 / max | %s / %s / %s ms |" % (
        lat["p50"], lat["p99"], lat["max"]))
    say("results in " + E["OUT"])


if __name__ == "__main__":
    main()
