"""Phases 2-4 of bench/router.sh (which sets the environment): the router's
backlog throughput, then the end-to-end latency HTTP submission ->
ClueRouted at a fixed, open-loop rate.  Debian's python3 with python3-zmq,
python3-psycopg2 and the build's gongyi_pb2."""

import http.client
import json
import math
import os
import platform
import random
import subprocess
import sys
import threading
import time

import psycopg2
import zmq

import gongyi_pb2 as pb

E = os.environ
TMP = E["TMP"]

SUBJECTS = ["企业夜间偷排含油污水", "河道旁堆放大量建筑垃圾", "超市销售过期食品",
            "药店无处方销售处方药", "国有资产被低价出租", "烈士纪念设施年久失修",
            "学校周边违规经营网吧", "建筑工地未设安全防护", "快递面单泄露个人信息",
            "盲道被机动车长期占用", "古建筑被擅自拆改", "农贸市场蔬菜农药残留超标"]
SENTENCES = ["本人多次路过该处，发现问题已经持续两个多月，周边居民反映强烈。",
             "每天晚上十点以后情况尤其严重，空气中有明显的刺鼻气味。",
             "曾经向有关部门打电话反映过，答复说会派人核查，但至今没有看到任何整改。",
             "现场有明显的痕迹，我拍摄了照片和视频，可以在需要时提供给检察机关。",
             "附近有一所小学和两个居民小区，存在较大的安全隐患。",
             "据了解，相关单位没有办理任何审批手续，也没有采取必要的防护措施。",
             "希望检察机关能够依法履行公益诉讼职责，督促相关行政机关尽快处理。",
             "周末白天也能看到有车辆进出，车上装载的物品用篷布遮盖，去向不明。"]
REGIONS = ["140213", "140214", "321112", "321181", "430104", "430111", "410928", "321100"]


def say(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


def pct(values, p):
    if not values:
        return None
    k = max(0, min(len(values) - 1, math.ceil(p / 100.0 * len(values)) - 1))
    return values[k]


def db():
    conn = psycopg2.connect(E["DSN"])
    conn.autocommit = True
    return conn


def scalar(conn, sql):
    with conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchone()[0]


def start_router():
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "GY_LOG_LEVEL": "warning",
           "GY_PG_DSN": E["DSN"], "GY_HTTP_PORT": E["ROUTER_HTTP"],
           "GY_PRODUCER": "bench-router", "GY_BUS_EVENTS": E["ROUTER_EVENTS"],
           "GY_BUS_REPLAY": E["ROUTER_REPLAY"],
           "GY_SOURCES": "%s|%s" % (E["INTAKE_EVENTS"], E["INTAKE_REPLAY"]),
           "GY_REFDATA_DIR": os.path.join(E["GY_ROOT"], "reference")}
    log = open(os.path.join(TMP, "router.log"), "ab")
    proc = subprocess.Popen([E["ROUTER_BIN"]], env=env, stdin=subprocess.DEVNULL, stdout=log,
                            stderr=log)
    with open(os.path.join(TMP, "router.pid"), "w") as f:
        f.write(str(proc.pid))
    return proc


def throughput(conn, proc_holder):
    backlog = scalar(conn, "SELECT count(*) FROM intake.clue")
    say("throughput: starting gy-router with %d ClueReceived waiting" % backlog)
    t0 = time.monotonic()
    proc_holder.append(start_router())
    deadline = t0 + 900
    while time.monotonic() < deadline:
        if proc_holder[0].poll() is not None:
            raise SystemExit("gy-router exited; see %s/router.log" % TMP)
        try:
            if scalar(conn, "SELECT count(*) FROM router.clue") >= backlog:
                break
        except psycopg2.errors.UndefinedTable:
            pass
        time.sleep(0.05)
    else:
        raise SystemExit("the router did not catch up within 900 s")
    wall = time.monotonic() - t0
    with conn.cursor() as cur:
        cur.execute("SELECT count(*), extract(epoch FROM max(routed_at) - min(routed_at)),"
                    " count(DISTINCT cluster_id) FROM router.clue")
        n, span, clusters = cur.fetchone()
    rate = (n - 1) / float(span) if span else None
    say("throughput: %d clues routed in %.2f s of routing (%.0f clues/s), %.2f s wall from "
        "start; %d clusters" % (n, span, rate, wall, clusters))
    return {"clues": n, "routing_span_s": round(float(span), 3), "clues_per_s": round(rate, 1),
            "wall_from_start_s": round(wall, 3), "wall_clues_per_s": round(n / wall, 1),
            "clusters": clusters}


def latency(rate, duration, senders):
    n = int(rate * duration)
    rng = random.Random(1)
    bodies = []
    for i in range(n):
        text = "".join(rng.sample(SENTENCES, 3)) + " 编号%06d" % i
        bodies.append(json.dumps({
            "title": rng.choice(SUBJECTS), "description": text,
            "field_code": "other", "region_code": rng.choice(REGIONS),
            "location": {"address": "测试地址 %d 号" % i}}, ensure_ascii=False).encode())
    arrivals = {}
    stop = threading.Event()
    ctx = zmq.Context.instance()
    sub = ctx.socket(zmq.SUB)
    sub.linger = 0
    sub.setsockopt(zmq.SUBSCRIBE, b"ClueRouted")
    sub.connect(E["ROUTER_EVENTS"])

    def listen():
        while not stop.is_set():
            if sub.poll(100, zmq.POLLIN):
                frames = sub.recv_multipart()
                t = time.monotonic()
                env = pb.Envelope()
                env.ParseFromString(frames[1])
                arrivals.setdefault(env.clue_routed.clue_id, t)

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    time.sleep(0.5)  # the SUB's connection is up before the first event

    results = [None] * n
    next_i = [0]
    lock = threading.Lock()
    t0 = time.monotonic() + 0.2

    def sender():
        conn = None
        while True:
            with lock:
                i = next_i[0]
                next_i[0] += 1
            if i >= n:
                break
            sched = t0 + i / rate
            pause = sched - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            sent = time.monotonic()
            for _ in range(3):
                try:
                    if conn is None:
                        conn = http.client.HTTPConnection("127.0.0.1", int(E["INTAKE_HTTP"]),
                                                          timeout=10)
                    conn.request("POST", "/api/v1/clues", body=bodies[i],
                                 headers={"Content-Type": "application/json"})
                    r = conn.getresponse()
                    data = r.read()
                    break
                except (OSError, http.client.HTTPException):
                    if conn is not None:
                        conn.close()
                    conn = None
                    r, data = None, None
            answered = time.monotonic()
            cid = json.loads(data)["id"] if r is not None and r.status == 201 else None
            results[i] = (cid, sched, sent, answered, r.status if r is not None else None)
        if conn is not None:
            conn.close()

    say("latency: %d clues at %.0f/s for %d s, %d senders, open loop" % (n, rate, duration,
                                                                        senders))
    threads = [threading.Thread(target=sender, daemon=True) for _ in range(senders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wait_until = time.monotonic() + 30
    ids = [r[0] for r in results if r and r[0]]
    while time.monotonic() < wait_until and any(c not in arrivals for c in ids):
        time.sleep(0.05)
    stop.set()
    listener.join(2)
    sub.close()

    ok = [r for r in results if r and r[0]]
    e2e = sorted(arrivals[r[0]] - r[1] for r in ok if r[0] in arrivals)
    http_lat = sorted(r[3] - r[1] for r in ok)
    send_lag = sorted(r[2] - r[1] for r in results if r)
    sent_span = max(r[2] for r in results if r) - min(r[2] for r in results if r)
    ms = lambda v: round(v * 1000, 2) if v is not None else None  # noqa: E731
    out = {
        "target_rate": rate, "requests": n, "created_201": len(ok),
        "other_answers": n - len(ok), "decisions_seen": len(e2e),
        "achieved_send_rate": round((n - 1) / sent_span, 1) if sent_span else None,
        "send_lag_ms": {"p50": ms(pct(send_lag, 50)), "p99": ms(pct(send_lag, 99)),
                        "max": ms(send_lag[-1] if send_lag else None)},
        "submit_to_decision_ms": {p: ms(pct(e2e, float(p[1:]))) for p in
                                  ("p50", "p90", "p99", "p99.9")},
        "http_answer_ms": {p: ms(pct(http_lat, float(p[1:]))) for p in ("p50", "p99")},
    }
    out["submit_to_decision_ms"]["max"] = ms(e2e[-1] if e2e else None)
    # Worst decision latency per second of the schedule: a steady climb
    # means the router falls behind, a bump a stall.
    worst = {}
    for r in ok:
        if r[0] in arrivals:
            sec = int(r[1] - t0)
            worst[sec] = max(worst.get(sec, 0), arrivals[r[0]] - r[1])
    out["worst_ms_by_second"] = [ms(worst.get(k, 0)) for k in range(int(duration) + 1)]
    try:
        c = http.client.HTTPConnection("127.0.0.1", int(E["ROUTER_HTTP"]), timeout=5)
        c.request("GET", "/metrics")
        text = c.getresponse().read().decode()
        c.close()
        out["router_metrics"] = {line.split()[0]: float(line.split()[1])
                                 for line in text.splitlines()
                                 if line.startswith(("gy_consumer_", "gy_router_", "gy_outbox_lag",
                                                     "gy_events_published_total"))}
    except (OSError, http.client.HTTPException, ValueError, IndexError):
        pass
    say("latency: %d/%d decisions seen; submit->decision p50 %s ms, p99 %s ms, max %s ms; "
        "sends at %.0f/s (lag p99 %s ms)" % (
            len(e2e), n, out["submit_to_decision_ms"]["p50"], out["submit_to_decision_ms"]["p99"],
            out["submit_to_decision_ms"]["max"], out["achieved_send_rate"] or 0,
            out["send_lag_ms"]["p99"]))
    return out


def main():
    conn = db()
    holder = []
    try:
        load_before = open("/proc/loadavg").read().split()[:3]
        tp = throughput(conn, holder)
        rate = int(E["RATE"]) if E.get("RATE") else max(1, int(tp["clues_per_s"] / 2))
        lat = latency(rate, int(E["DURATION"]), int(E["SENDERS"]))
        try:
            rev = subprocess.run(["git", "-C", E["GY_ROOT"], "rev-parse", "--short", "HEAD"],
                                 capture_output=True, text=True, check=True).stdout.strip()
        except Exception:
            rev = None
        result = {"date": E["STAMP"], "commit": rev,
                  "machine": {"cpus": os.cpu_count(), "kernel": platform.release(),
                              "loadavg_before": " ".join(load_before)},
                  "assessment": "off", "throughput": tp, "latency": lat}
        with open(E["OUT"], "w") as f:
            json.dump(result, f, indent=2, ensure_ascii=False)
        print("| measure | value |")
        print("|---|---|")
        print("| backlog routed (ClueReceived -> ClueRouted committed) | %d clues |" % tp["clues"])
        print("| routing throughput | %.0f clues/s |" % tp["clues_per_s"])
        print("| fixed load (half of it), open loop | %d clues/s for %s s (sent at %.0f/s) |" % (
            rate, E["DURATION"], lat["achieved_send_rate"] or 0))
        d = lat["submit_to_decision_ms"]
        print("| HTTP submit -> ClueRouted received, p50 / p99 / max | %s / %s / %s ms |" % (
            d["p50"], d["p99"], d["max"]))
        print("| decisions seen | %d of %d |" % (lat["decisions_seen"], lat["requests"]))
        say("results in " + E["OUT"])
    finally:
        if holder and holder[0].poll() is None:
            holder[0].terminate()
            try:
                holder[0].wait(10)
            except subprocess.TimeoutExpired:
                holder[0].kill()


if __name__ == "__main__":
    main()
