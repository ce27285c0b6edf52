#!/usr/bin/env python3
"""Submits clues to a gongyi edge and records every acknowledged one.

    submit.py URL OUT --count N [--concurrency C]
    submit.py URL OUT --seconds S [--concurrency C]
    submit.py URL IN --check          GET each recorded receipt: all must be 200

OUT gets one JSON line per acknowledged clue (201 or 200): idempotency key,
id, receipt code, title.  A request that fails without an answer (the
instance died, 502/503/504) is retried with the same Idempotency-Key for up
to 30 s, as a client should; what never got an answer is counted, not
recorded.  Used by deploy/test-compose.sh; standard library only.
"""
import argparse
import json
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid

FIELDS = ["ecology", "food_drug", "state_property", "state_land"]


def body(n, run):
    return {
        "title": f"容器测试线索 {run} #{n}：河道夜间排污",
        "description": "测试用线索：御河东岸兴云桥北侧有管道夜间向河道排放黑色污水，河面漂浮死鱼。",
        "field_code": FIELDS[n % len(FIELDS)],
        "region_code": "140213",
        "location": {"address": "山西省大同市平城区御河东路兴云桥北侧"},
    }


def post(url, key, data, timeout=10):
    req = urllib.request.Request(
        url + "/api/v1/clues",
        data=json.dumps(data, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json", "Idempotency-Key": key},
        method="POST",
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, None
    except (urllib.error.URLError, OSError, ValueError):
        return None, None


def submit_one(url, n, run, stats, lock, out):
    key = str(uuid.uuid4())
    data = body(n, run)
    deadline = time.monotonic() + 30
    while True:
        status, answer = post(url, key, data)
        if status in (200, 201) and answer and answer.get("receipt_code"):
            with lock:
                stats["acked"] += 1
                if status == 200:
                    stats["replayed"] += 1
                out.write(json.dumps({"key": key, "id": answer["id"],
                                      "receipt": answer["receipt_code"],
                                      "title": data["title"]}, ensure_ascii=False) + "\n")
                out.flush()
            return
        with lock:
            stats["retries"] += 1
            stats["errors"][str(status)] = stats["errors"].get(str(status), 0) + 1
        if status is not None and status not in (502, 503, 504, 429):
            with lock:
                stats["refused"] += 1
            return
        if time.monotonic() > deadline:
            with lock:
                stats["unanswered"] += 1
            return
        time.sleep(0.2)


def run_submit(args):
    run = uuid.uuid4().hex[:6]
    stats = {"acked": 0, "replayed": 0, "retries": 0, "refused": 0, "unanswered": 0,
             "errors": {}}
    lock = threading.Lock()
    counter = [0]
    stop_at = time.monotonic() + args.seconds if args.seconds else None

    def next_n():
        with lock:
            if args.count is not None and counter[0] >= args.count:
                return None
            if stop_at is not None and time.monotonic() >= stop_at:
                return None
            counter[0] += 1
            return counter[0]

    t0 = time.monotonic()
    with open(args.file, "a", encoding="utf-8") as out:
        def worker():
            while True:
                n = next_n()
                if n is None:
                    return
                submit_one(args.url, n, run, stats, lock, out)

        threads = [threading.Thread(target=worker) for _ in range(args.concurrency)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    took = time.monotonic() - t0
    stats["sent"] = counter[0]
    stats["seconds"] = round(took, 1)
    print(json.dumps(stats), flush=True)
    return 0 if stats["refused"] == 0 and stats["unanswered"] == 0 else 1


def run_check(args):
    bad = 0
    n = 0
    with open(args.file, encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            n += 1
            try:
                with urllib.request.urlopen(args.url + "/api/v1/clues/" + rec["receipt"],
                                            timeout=10) as r:
                    got = json.loads(r.read())
                    if got.get("receipt_code") != rec["receipt"]:
                        bad += 1
                        print(f"wrong answer for {rec['receipt']}: {got}", file=sys.stderr)
            except urllib.error.HTTPError as e:
                bad += 1
                print(f"{rec['receipt']}: HTTP {e.code}", file=sys.stderr)
            except (urllib.error.URLError, OSError) as e:
                bad += 1
                print(f"{rec['receipt']}: {e}", file=sys.stderr)
    print(json.dumps({"checked": n, "missing": bad}), flush=True)
    return 0 if bad == 0 and n > 0 else 1


def main():
    p = argparse.ArgumentParser()
    p.add_argument("url")
    p.add_argument("file")
    p.add_argument("--count", type=int)
    p.add_argument("--seconds", type=float)
    p.add_argument("--concurrency", type=int, default=4)
    p.add_argument("--check", action="store_true")
    args = p.parse_args()
    if args.check:
        return run_check(args)
    if args.count is None and args.seconds is None:
        p.error("--count or --seconds")
    return run_submit(args)


if __name__ == "__main__":
    sys.exit(main())
