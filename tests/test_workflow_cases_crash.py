"""kill -9 of the workflow (four times) while its case deadlines fire and
cases move: every deadline fires DeadlineDue and DeadlineMissed at most
once, exactly once when it was not settled first, and every step a client
took is in the case's history once with its one CaseStageChanged.

N cases are opened on 28 September 2026 (the workflow's clock): each has
serve_opening (last day 8 October) and investigation (28 December).  The
workflow restarts on 29 December, with a scan every 20 ms: all of them are
past their warn and due instants.  While they fire, a client moves half of
the cases (serve_opening_decision, issue_suggestion: each settles one of
them), retrying through the crashes with expected_version; the workflow is
killed with SIGKILL four times at moments chosen by GY_TEST_SEED, each
time after checking it is alive and its log holds no failed assertion,
and restarted.

Afterwards: for each deadline, one DeadlineDue exactly when warned_at is
set and one DeadlineMissed exactly when missed_at is set; every unsettled
deadline both; the outbox without gap; each case's version the number of
its history rows, and one CaseStageChanged per transition in it.

N is 120 (GY_TEST_QUICK=1: 40)."""

import http.client
import os
import random
import threading
import time
import unittest
import uuid

import gytest
from gytest import valid_clue

S = {}
N = 40 if os.environ.get("GY_TEST_QUICK") == "1" else 120
OPENED = "2026-09-28T10:00:00+08:00"
LATER = "2026-12-29T10:00:00+08:00"


def setUpModule():
    gytest.require_workflow_build()
    folder = gytest.run_dir("test_workflow_cases_crash")
    S["token_secret"], S["token_public"] = gytest.token_keys(folder)
    S["dbname"] = gytest.create_database("wfcases_crash")
    S["db"] = gytest.Db(S["dbname"])
    S["intake"] = gytest.Intake(folder, "intake-cc1", S["dbname"]).start()
    S["router"] = gytest.Router(folder, "router-cc1", S["dbname"], [S["intake"]],
                                env={"GY_DEADLINE_SCAN_MS": "0"}).start()
    S["workflow"] = gytest.Workflow(folder, "workflow-cc1", S["dbname"], [S["router"]],
                                    token_public=S["token_public"],
                                    env={"GY_CLOCK_START": OPENED,
                                         "GY_WORKFLOW_DEADLINE_SCAN_MS": "20"}).start()


def tearDownModule():
    for name in ("workflow", "router", "intake"):
        if name in S:
            S[name].stop()
    if "db" in S:
        S["db"].close()
    if "dbname" in S:
        gytest.drop_database(S["dbname"])


def token(role, sub):
    """Issued on the workflow's clock (not today's date), for a year."""
    return gytest.issue_token(S["token_secret"], sub, role=role, proc="140213", ttl=31622400,
                              clock=OPENED)


def wf(method, path, body=None, bearer=None, timeout=gytest.HTTP_TIMEOUT):
    h = {"Authorization": "Bearer " + bearer}
    if body is not None:
        h["Content-Type"] = "application/json"
    return gytest.http_request(S["workflow"].http_port, method, "/api/v1/workflow" + path, body,
                               h, timeout=timeout)


def wait(predicate, what, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("%s within %.0f s; workflow log:\n%s" % (what, timeout,
                                                                   S["workflow"].log_tail()))


def events(type_):
    return gytest.workflow_events(S["db"], type_)


class Stepper(threading.Thread):
    """Moves its cases two steps each, through the crashes: a request that
    got no answer is decided again on the case as it is then."""

    PLAN = ("serve_opening_decision", "issue_suggestion")

    def __init__(self, cases, bearer):
        super().__init__(daemon=True)
        self.cases, self.bearer = cases, bearer
        self.unexpected = []
        self.done = 0

    def run(self):
        for case_id in self.cases:
            for _ in range(200):
                try:
                    r = wf("GET", "/cases/%s" % case_id, bearer=self.bearer, timeout=2.0)
                    if r.status != 200:
                        time.sleep(0.05)
                        continue
                    case = r.json()
                    taken = [s["event"] for s in case["steps"]]
                    todo = [e for e in self.PLAN if e not in taken]
                    if not todo:
                        self.done += 1
                        break
                    r = wf("POST", "/cases/%s/steps" % case_id,
                           {"event": todo[0], "reason": "依法办理",
                            "expected_version": case["version"]},
                           bearer=self.bearer, timeout=2.0)
                    if r.status not in (200, 409, 503):
                        self.unexpected.append((case_id, todo[0], r.status, r.body))
                except (OSError, http.client.HTTPException):
                    time.sleep(0.05)  # the workflow is down: ask again


class CrashTest(gytest.IntakeTestCase):

    def test_every_deadline_fires_once_through_crashes(self):
        chief = token("chief_prosecutor", "chief-140213")
        cids = []
        for i in range(N):
            clue = valid_clue(title="线索 %d" % i, region_code="140213",
                              description="工厂偷排污水，编号 %s。" % uuid.uuid4().hex,
                              location={"address": "大同市"})
            r = S["intake"].post_clue(clue, idem=str(uuid.uuid4()))
            self.assertEqual(r.status, 201, r)
            cids.append(r.json()["id"])
        wait(lambda: S["db"].scalar("SELECT count(*) FROM workflow.review "
                                    "WHERE state = 'under_review'") == N, "not every review")
        cases = []
        for cid in cids:
            r = wf("POST", "/reviews/%s/decide" % cid,
                   {"decision": "open", "case_kind": "administrative"}, bearer=chief)
            self.assertEqual(r.status, 201, r)
            cases.append(r.json()["review"]["case_id"])
        self.assertEqual(S["db"].scalar("SELECT count(*) FROM workflow.deadline"), 2 * N)
        self.assertEqual(events("DeadlineDue"), [])

        # Three months on: everything is past due.
        w = S["workflow"]
        w.stop()
        w.env["GY_CLOCK_START"] = LATER
        w.start()
        stepper = Stepper(cases[: N // 2], chief)
        stepper.start()
        rng = random.Random(int(os.environ.get("GY_TEST_SEED", "0") or 0) or None)
        for _ in range(4):
            time.sleep(rng.uniform(0.05, 0.8))
            w.assert_healthy_process()
            w.crash()
            w.start()
        stepper.join(120)
        self.assertFalse(stepper.is_alive(), "the stepper did not finish")
        self.assertEqual(stepper.unexpected, [])
        self.assertEqual(stepper.done, N // 2)

        # Everything still open and past due has fired both (the
        # file_upward_suggestion the steps started is not due yet).
        wait(lambda: S["db"].scalar(
            "SELECT count(*) FROM workflow.deadline WHERE settled_at IS NULL"
            " AND due_at <= %s AND (warned_at IS NULL OR missed_at IS NULL)", (LATER,)) == 0,
            "deadlines left unfired")
        w.assert_healthy_process()
        rows = S["db"].query("SELECT id::text, warned_at IS NOT NULL, missed_at IS NOT NULL,"
                             " settled_at IS NOT NULL OR due_at > %s FROM workflow.deadline",
                             (LATER,))
        due, missed = {}, {}
        for e in events("DeadlineDue"):
            due[e.deadline_id] = due.get(e.deadline_id, 0) + 1
        for e in events("DeadlineMissed"):
            missed[e.deadline_id] = missed.get(e.deadline_id, 0) + 1
        self.assertEqual(max(list(due.values()) + list(missed.values())), 1)
        for id_, warned, was_missed, settled_or_later in rows:
            self.assertEqual(due.get(id_, 0), 1 if warned else 0, id_)
            self.assertEqual(missed.get(id_, 0), 1 if was_missed else 0, id_)
            if not settled_or_later:
                self.assertTrue(warned and was_missed, id_)
        self.assertEqual(len(rows), 2 * N + N // 2)
        # The cases left alone fired all four; the stepped ones settled two
        # deadlines each (and started file_upward_suggestion, not yet due).
        self.assertGreaterEqual(len(due), 2 * (N - N // 2))
        # The outbox has no gap.
        seqs = gytest.workflow_sequences(S["db"])
        self.assertEqual(seqs, list(range(1, len(seqs) + 1)))
        # Each step once: the version counts the history, one event each.
        # The relay numbers the events (sequence_pending) in the order they
        # committed: a case's steps come in the order of its versions.
        changed, versions = {}, {}
        for e in events("CaseStageChanged"):
            changed[(e.case_id, e.event)] = changed.get((e.case_id, e.event), 0) + 1
            versions.setdefault(e.case_id, []).append(e.version)
        for case_id, seen in versions.items():
            self.assertEqual(seen, sorted(seen), case_id)
        for case_id in cases[: N // 2]:
            version, steps = S["db"].query(
                'SELECT c.version, (SELECT count(*) FROM workflow.case_step s '
                'WHERE s.case_id = c.id) FROM workflow."case" c WHERE c.id = %s', (case_id,))[0]
            self.assertEqual((version, steps), (3, 3), case_id)
            for e in Stepper.PLAN:
                self.assertEqual(changed.get((case_id, e)), 1, (case_id, e))


if __name__ == "__main__":
    unittest.main()
