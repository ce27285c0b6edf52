#!/usr/bin/python3
"""The living demo: a 大同 site with volunteers, staff and clues in every
stage, made through the services' own HTTP APIs and the bus (never SQL), so
what the console shows is what the services themselves decided.

scripts/up runs it after the site is up (docs/demo.md); tests/test_demo.py
runs it against a site of its own.  Only Python's standard library.

The demo has a history: it is loaded in phases, each with the services
restarted on a process clock in the past (GY_CLOCK_START), then on the real
clock, so its cases have deadlines met, missed and due soon, and a hearing
held months ago next to one still to come.  The caller restarts the
services; this program says on which clock and loads one phase:

    demo.py status   --dir DIR --edge URL --router URL --token-secret FILE --gy-token BIN
        prints "loaded" (DIR's marker and the site agree), "empty" (a new
        site: load it), "data" (a site with data of its own: leave it) or
        "partial" (a load that did not finish)
    demo.py clock PHASE [--now INSTANT]
        prints GY_CLOCK_START for PHASE (1-3), or nothing for the last one
        (the real clock); PHASES are history, months, weeks, today.  The
        demo's tokens are issued on gy-token's clock: GY_CLOCK_START in
        this program's environment, as in the services', moves it
    demo.py load PHASE --clock INSTANT|- --dir DIR --edge URL ...
        loads one phase; the services must be running on that clock
    demo.py logins --dir DIR --edge URL ...
        issues the staff's tokens anew (a token is not state: every
        scripts/up gives 30 more days) and writes DIR/logins.json,
        DIR/logins.txt and DIR/tokens/<who>.token

Exit status 0 on success; on failure one line says which step and which API
answer: "demo: error: phase 2, step "case A: the suggestion": POST
/api/v1/workflow/cases/…/steps answered 409 invalid_state: …".
"""

import argparse
import datetime
import hashlib
import http.client
import json
import os
import secrets
import subprocess
import sys
import time
import urllib.parse

BEIJING = datetime.timezone(datetime.timedelta(hours=8))
# Days before today each phase runs at (09:00 Beijing time): a history of
# four months, a month and a half, two weeks, and today on the real clock.
# Two weeks is chosen so that a 15-day period started then (an organ's
# urgent reply) ends tomorrow or on the next working day: due soon whatever
# the weekday (docs/demo.md).
PHASES = (("history", 120), ("months", 45), ("weeks", 14), ("today", 0))
TOKEN_TTL_S = 30 * 86400  # the staff's tokens: a month of demo
HTTP_TIMEOUT_S = 15.0
WAIT_S = 30.0
MARKER = "loaded.json"

STAFF = (
    # who (token file), name, title, role, procuratorate, token subject
    ("pingcheng-prosecutor", "李明", "平城区检察院检察官", "prosecutor", "140213", "pc.liming"),
    ("pingcheng-chief", "王华", "平城区检察院检察长", "chief_prosecutor", "140213", "pc.wanghua"),
    ("yungang-prosecutor", "赵磊", "云冈区检察院检察官", "prosecutor", "140214", "yg.zhaolei"),
    ("yungang-chief", "孙丽", "云冈区检察院检察长", "chief_prosecutor", "140214", "yg.sunli"),
    ("datong-prosecutor", "陈宇", "大同市检察院检察官", "prosecutor", "140200", "dt.chenyu"),
    ("datong-chief", "黄强", "大同市检察院检察长", "chief_prosecutor", "140200", "dt.huangqiang"),
    ("datong-admin", "周洁", "大同市检察院系统管理员", "admin", "140200", "dt.zhoujie"),
)

VOLUNTEERS = (
    # login, name, procuratorate, roles, expertise, statement; appointed unless last
    ("wangjianguo", "王建国", "140213", ["informant", "assessor"],
     ["ecology", "work_safety", "cultural_relics"],
     "大同市环境监测站退休高级工程师，从事御河、桑干河水质监测三十年。", True),
    ("lixiulan", "李秀兰", "140213", ["assessor", "supervisor"], ["food_drug", "minors"],
     "平城区一所小学的营养配餐员，持公共营养师证书，熟悉校园食品安全规范。", True),
    ("zhaozhigang", "赵志刚", "140200", ["assessor"], ["ecology", "state_property", "state_land"],
     "执业律师十五年，主要代理环境资源和国有资产纠纷。", True),
    ("liufang", "刘芳", "140200", ["assessor", "supervisor"],
     ["ecology", "food_drug", "personal_info"],
     "山西大同大学副教授，研究环境工程与个人信息保护。", True),
    ("zhangwei", "张伟", "140213", ["informant", "supervisor"], ["barrier_free"],
     "视障人士，平城区残疾人联合会志愿者，常年关注盲道和无障碍设施。", True),
    ("chenjing", "陈静", "140200", ["supervisor", "informant"], ["barrier_free", "heroes_martyrs"],
     "社区工作者，关注无障碍环境建设和英烈纪念设施保护。", True),
    ("sunhao", "孙浩", "140213", ["informant"], ["ecology"],
     "大学生，周末在御河湿地做观鸟志愿者。", False),
)
ASSESSORS = ("wangjianguo", "lixiulan", "zhaozhigang", "liufang")

# The administrative organs the cases address.
EPB_PINGCHENG = "大同市生态环境局平城分局"
EPB_YUNGANG = "大同市生态环境局云冈分局"


class DemoError(Exception):
    pass


def sha(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def parse_instant(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def phase_clock(phase, now=None):
    """GY_CLOCK_START of a phase (1-based), None for the real clock."""
    days = PHASES[phase - 1][1]
    if not days:
        return None
    now = now or datetime.datetime.now(BEIJING)
    day = now.astimezone(BEIJING).date() - datetime.timedelta(days=days)
    return datetime.datetime(day.year, day.month, day.day, 9, 0, tzinfo=BEIJING).isoformat()


class Site:
    """The site's APIs: everything through the edge, except the router's
    assessment tasks (/api/v1/tasks), which the edge does not route yet."""

    def __init__(self, args):
        self.edge = urllib.parse.urlsplit(args.edge)
        self.router = urllib.parse.urlsplit(args.router or args.edge)
        self.token_secret = args.token_secret
        self.gy_token = args.gy_token
        self.step = "start"
        self.tokens = {}

    def call(self, method, path, body=None, token=None, want=(200, 201), headers=None,
             allow=()):
        """One request; returns (status, JSON).  An answer outside want
        (and allow: statuses the caller looks at itself) is a DemoError
        naming the request and the API's error."""
        url = self.router if path.startswith("/api/v1/tasks") else self.edge
        h = dict(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            h["Content-Type"] = "application/json"
        if token:
            h["Authorization"] = "Bearer " + token
        conn = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=HTTP_TIMEOUT_S)
        try:
            conn.request(method, path, body=data, headers=h)
            r = conn.getresponse()
            raw = r.read()
            status = r.status
        except OSError as exc:
            raise DemoError("%s %s: no answer from %s (%s)" % (method, path, url.netloc, exc))
        finally:
            conn.close()
        try:
            answer = json.loads(raw.decode("utf-8")) if raw else None
        except ValueError:
            answer = {"raw": raw[:200].decode("utf-8", "replace")}
        if status in want or status in allow:
            return status, answer
        err = (answer or {}).get("error") if isinstance(answer, dict) else None
        if err:
            what = "%s: %s%s" % (err.get("code"), err.get("message"),
                                " (field %s)" % err["field"] if err.get("field") else "")
        else:
            what = str(answer)[:300]
        raise DemoError("%s %s answered %d %s" % (method, path, status, what))

    def get(self, path, token, **kw):
        return self.call("GET", path, token=token, **kw)[1]

    def post(self, path, body, token=None, **kw):
        return self.call("POST", path, body, token=token, **kw)[1]

    def wait(self, what, probe, timeout=WAIT_S):
        """Polls probe() until it returns something true: the services
        decide on the bus, a moment after the request that caused it."""
        deadline = time.monotonic() + timeout
        while True:
            value = probe()
            if value:
                return value
            if time.monotonic() > deadline:
                raise DemoError("%s: not within %.0f s" % (what, timeout))
            time.sleep(0.05)

    def staff_token(self, who):
        if who not in self.tokens:
            row = [s for s in STAFF if s[0] == who][0]
            # Issued on today's clock (ours), whatever the services run on: a
            # token is checked only for its expiry, which lies after every
            # phase.
            p = subprocess.run([self.gy_token, "issue", self.token_secret, "--sub", row[5],
                                "--role", row[3], "--proc", row[4], "--ttl", str(TOKEN_TTL_S)],
                               capture_output=True, text=True, timeout=30)
            if p.returncode != 0:
                raise DemoError("gy-token issue failed: %s" % p.stderr.strip())
            self.tokens[who] = p.stdout.strip()
        return self.tokens[who]

    def settle(self):
        """Waits until the router and the workflow have published all they
        wrote and applied all they were sent, so that nothing of a phase
        is decided on the next phase's clock."""
        def quiet():
            for path in ("/router/healthz", "/workflow/healthz"):
                status, h = self.call("GET", path, allow=(503,))
                if status != 200 or h.get("outbox_lag", 0) != 0:
                    return False
                if any(c.get("lag", 0) != 0 for c in (h.get("consumed") or {}).values()):
                    return False
            return True
        self.wait("the router and the workflow to catch up", quiet)


class Loader:
    """One phase of the demo on one clock, with the state of the phases
    before it (DIR/state.json: ids, receipt codes, volunteers' logins)."""

    def __init__(self, site, folder, clock):
        self.site = site
        self.folder = folder
        self.state_path = os.path.join(folder, "state.json")
        self.state = {"volunteers": {}, "clues": {}, "cases": {}, "pool": {}, "misc": {}}
        if os.path.exists(self.state_path):
            with open(self.state_path) as f:
                self.state = json.load(f)
        # The services' clock as far as we can tell: it started at `clock`
        # a moment before we did, so ours is a little behind theirs, which
        # keeps every "not in the future" check on the safe side.
        self.clock0 = parse_instant(clock) if clock else None
        self.t0 = time.time()
        self.vtokens = {}

    # -- time, state, steps --

    def now(self):
        if self.clock0 is None:
            return datetime.datetime.now(BEIJING)
        return (self.clock0 + datetime.timedelta(seconds=time.time() - self.t0)).astimezone(
            BEIJING)

    def today(self):
        return self.now().date()

    def at(self, days, hour=9, minute=30):
        """An instant `days` Beijing days after today, as the API takes it."""
        d = self.today() + datetime.timedelta(days=days)
        return datetime.datetime(d.year, d.month, d.day, hour, minute,
                                 tzinfo=BEIJING).isoformat()

    def save(self):
        tmp = self.state_path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.state, f, ensure_ascii=False, indent=1)
        os.chmod(tmp, 0o600)  # volunteers' passwords
        os.replace(tmp, self.state_path)

    def say(self, text):
        print("demo:   " + text, flush=True)

    def begin(self, step):
        self.site.step = step

    # -- people --

    def tok(self, who):
        return self.site.staff_token(who)

    def vtok(self, login):
        """A volunteer's token from their own login (on the router's clock:
        one per phase)."""
        if login not in self.vtokens:
            v = self.state["volunteers"][login]
            self.vtokens[login] = self.site.post("/api/v1/auth/login", {
                "login": login, "password": v["password"]})["token"]
        return self.vtokens[login]

    def vid(self, login):
        return self.state["volunteers"][login]["id"]

    def volunteers_apply_and_appointed(self):
        self.begin("volunteers apply and are appointed")
        start = self.today() - datetime.timedelta(days=30)
        for n, (login, name, proc, roles, expertise, statement, appoint) in enumerate(VOLUNTEERS):
            password = secrets.token_urlsafe(9)
            out = self.site.post("/api/v1/volunteers/applications", {
                "login": login, "password": password, "name": name,
                "phone": "+86 139 3520 %04d" % (1001 + n),
                "email": "%s@example.cn" % login, "procuratorate": proc,
                "expertise": expertise, "roles": roles, "statement": statement})
            v = {"id": out["id"], "password": password, "name": name, "proc": proc,
                 "roles": roles, "appointed": appoint}
            if appoint:
                chief = "pingcheng-chief" if proc == "140213" else "datong-chief"
                cert = "%s检志聘〔%d〕%03d号" % ("平" if proc == "140213" else "同",
                                            start.year, n + 1)
                self.site.post("/api/v1/volunteers/%s/appoint" % out["id"], {
                    "certificate_no": cert, "term_start": start.isoformat(),
                    "term_end": start.replace(year=start.year + 3).isoformat()},
                    self.tok(chief))
                v["certificate_no"] = cert
            self.state["volunteers"][login] = v
        self.save()
        self.say("%d volunteers applied, %d appointed with certificates" % (
            len(VOLUNTEERS), sum(1 for v in VOLUNTEERS if v[6])))

    # -- clues --

    def submit(self, key, title, description, field, region, address, lat=None, lon=None,
               reporter=None, volunteer=None, channel="web", days_ago=3):
        self.begin("clue %s: submit" % key)
        location = {"address": address}
        if lat is not None:
            location.update(lat=lat, lon=lon)
        body = {"title": title, "description": description, "field_code": field,
                "region_code": region, "location": location, "source_channel": channel,
                "occurred_at": (self.now() - datetime.timedelta(days=days_ago)).isoformat(
                    timespec="seconds")}
        if reporter:
            body["reporter"] = reporter
        token = self.vtok(volunteer) if volunteer else None
        # The key makes a phase that failed half-way safe to run again.
        out = self.site.post("/api/v1/clues", body, token,
                             headers={"Idempotency-Key": "demo-%s" % key})
        self.state["clues"][key] = {"id": out["id"], "receipt": out["receipt_code"],
                                    "title": title}
        self.save()
        return out["id"]

    def routed(self, key, status=None):
        """Waits until the router has the clue (in `status` when given);
        returns the router's view of it."""
        cid = self.state["clues"][key]["id"]
        token = self.tok("datong-prosecutor")

        def probe():
            code, out = self.site.call("GET", "/api/v1/routed-clues/%s" % cid, token=token,
                                       allow=(404,))
            if code != 200:
                return None
            clue = out["clue"]
            return clue if status is None or clue["status"] == status else None
        return self.site.wait("clue %s at the router%s" % (key, " (%s)" % status if status else ""),
                              probe)

    def assess(self, key, recommendations, comment):
        """Each asked assessor (of ASSESSORS, in order) answers with the
        next recommendation; every one asked answers."""
        self.begin("clue %s: assessment" % key)
        cid = self.state["clues"][key]["id"]
        self.routed(key, "assessing")
        found = {}

        def tasks():
            for login in ASSESSORS:
                if login in found:
                    continue
                items = self.site.get("/api/v1/tasks?status=assigned&limit=100",
                                      self.vtok(login))["items"]
                for t in items:
                    if t["clue"]["id"] == cid:
                        found[login] = t["id"]
            return len(found) == len(recommendations)
        self.site.wait("%d assessment tasks for clue %s" % (len(recommendations), key), tasks)
        scores = {"route": (5, 4, 4), "reject": (2, 1, 1), "review": (3, 3, 2)}
        for (login, task), rec in zip(sorted(found.items(), key=lambda x: ASSESSORS.index(x[0])),
                                      recommendations):
            c, s, h = scores[rec]
            self.site.post("/api/v1/tasks/%s/assessment" % task, {
                "credibility": c, "severity": s, "public_interest_harm": h,
                "recommendation": rec, "comment": comment[rec]}, self.vtok(login))

    def review(self, key, state="under_review"):
        cid = self.state["clues"][key]["id"]
        token = self.tok("datong-chief")

        def probe():
            code, out = self.site.call("GET", "/api/v1/workflow/reviews/%s" % cid, token=token,
                                       allow=(404,))
            return out["review"] if code == 200 and out["review"]["state"] == state else None
        return self.site.wait("the review of clue %s (%s)" % (key, state), probe)

    def assign(self, key, chief, prosecutor):
        self.begin("clue %s: assigned" % key)
        sub = [s[5] for s in STAFF if s[0] == prosecutor][0]
        self.site.post("/api/v1/workflow/reviews/%s/assign" % self.state["clues"][key]["id"],
                       {"prosecutor": sub, "reason": "按承办分工指派"}, self.tok(chief))

    def open_case(self, key, case, chief, kind, title, harm_ongoing=False):
        self.begin("case %s: opened" % case)
        path = "/api/v1/workflow/reviews/%s/decide" % self.state["clues"][key]["id"]
        out = self.site.post(path, {
            "decision": "open", "case_kind": kind, "title": title, "harm_ongoing": harm_ongoing,
            "reason": "经初查，线索反映的问题属实，损害社会公共利益，符合立案条件"}, self.tok(chief))
        self.state["cases"][case] = out["review"]["case_id"]
        self.save()
        return out["review"]["case_id"]

    # -- cases --

    def step(self, case, event, reason, who, **extra):
        self.begin("case %s: %s" % (case, event))
        body = {"event": event, "reason": reason}
        body.update(extra)
        return self.site.post("/api/v1/workflow/cases/%s/steps" % self.state["cases"][case],
                              body, self.tok(who))

    def document(self, case, kind, recipient, who, served_by=None, method="direct"):
        """Issues a document of the case (its template's text) and, with
        served_by, records its service on the recipient."""
        self.begin("case %s: document %s" % (case, kind))
        body = {"kind": kind}
        if recipient:  # a civil case's opening and announcement address nobody
            body["recipient"] = recipient
        doc = self.site.post("/api/v1/workflow/cases/%s/documents" % self.state["cases"][case],
                             body, self.tok(who),
                             headers={"Idempotency-Key": "demo-%s-%s" % (case, kind)})
        if served_by:
            self.site.post("/api/v1/workflow/documents/%s/served" % doc["id"], {
                "served_on": recipient, "served_at": doc["issued_at"], "method": method},
                self.tok(served_by))
        return doc

    def opened_and_served(self, case, organ, prosecutor, chief):
        """An administrative case's opening decision issued and served on
        the organ: the investigation proper begins."""
        self.document(case, "opening_decision", organ, chief, served_by=prosecutor)
        self.step(case, "serve_opening_decision", "立案决定书已直接送达%s" % organ, prosecutor)

    def administrative_case(self, key, case, office, title, organ, harm_ongoing=False):
        """The clue under review opened by the chief of `office` (平城区,
        云冈区 or 大同市) as an administrative case, the opening decision
        served on the organ."""
        self.review(key)
        self.open_case(key, case, office + "-chief", "administrative", title, harm_ongoing)
        self.opened_and_served(case, organ, office + "-prosecutor", office + "-chief")

    def suggestion(self, case, organ, prosecutor, chief, harm_ongoing, text):
        self.document(case, "suggestion", organ, chief)
        self.step(case, "issue_suggestion", text, chief)
        self.step(case, "serve_suggestion", "检察建议书已送达%s" % organ, prosecutor,
                  harm_ongoing=harm_ongoing)
        self.step(case, "file_suggestion_upward", "检察建议已报上一级人民检察院备案", prosecutor)

    def pool_member(self, proc, key, name, kind, chief, volunteer=None):
        self.begin("hearing pool of %s: %s" % (proc, name))
        body = {"name": name, "kind": kind}
        if volunteer:
            body["volunteer_id"] = self.vid(volunteer)
        out = self.site.post("/api/v1/workflow/hearing-pools/%s" % proc, body, self.tok(chief))
        self.state["pool"][key] = out["id"]
        self.save()

    def consult(self, case, question, field, prosecutor, answer=None, references=()):
        """Asks one expert volunteer; with `answer`, they answer it."""
        self.begin("case %s: consultation" % case)
        out = self.site.post("/api/v1/workflow/cases/%s/consultations" % self.state["cases"][case],
                             {"question": question, "field": field, "experts": 1,
                              "due_days": 7}, self.tok(prosecutor))
        task = out["tasks"][0]
        if answer:
            login = [k for k, v in self.state["volunteers"].items()
                     if v["id"] == task["volunteer_id"]][0]
            self.site.post("/api/v1/workflow/consultations/%s/answer" % task["id"],
                           {"answer": answer, "references": list(references)}, self.vtok(login))
        return task

    def supervise(self, case, login, prosecutor):
        self.begin("case %s: supervisor %s" % (case, login))
        self.site.post("/api/v1/workflow/cases/%s/supervisors" % self.state["cases"][case],
                       {"volunteer_id": self.vid(login), "reason": "跟踪观察整改情况"},
                       self.tok(prosecutor))

    def observe(self, case, login, place, text, finding, photo):
        self.begin("case %s: observation" % case)
        self.site.post("/api/v1/workflow/cases/%s/observations" % self.state["cases"][case], {
            "observed_on": self.today().isoformat(), "place": place, "text": text,
            "finding": finding,
            "photos": [{"name": photo, "content_type": "image/jpeg", "size": 1843200,
                        "sha256": sha(case + photo + finding)}]}, self.vtok(login))

    def impact(self, case, who, *entries):
        self.begin("case %s: impact" % case)
        for measure, value, note in entries:
            self.site.post("/api/v1/workflow/cases/%s/impact" % self.state["cases"][case], {
                "measure": measure, "value": value, "note": note, "on_closing": True},
                self.tok(who))

    def close(self, case, organ, prosecutor, chief, outcome, public_outcome):
        """Rectified, closed with the 终结审查决定书 served."""
        self.step(case, "confirm_rectified", "经现场核实，行政机关已依法全面履职", prosecutor)
        self.document(case, "closing_decision", organ, chief, served_by=prosecutor)
        self.step(case, "close", "行政机关已整改到位，公益受损状态消除", prosecutor,
                  outcome=outcome, public_outcome=public_outcome)
        self.step(case, "serve_closing_decision", "终结审查决定书已送达%s" % organ, prosecutor)

    # -- the phases --

    def phase1(self):
        """Four months ago: the volunteers, the hearing pools, the first
        clues assessed and opened as cases."""
        self.volunteers_apply_and_appointed()
        self.site.settle()  # the workflow knows the volunteers (consultants, pool)
        self.pool_member("140213", "pc-supervisor", "刘志强（人民监督员）", "people_supervisor",
                         "pingcheng-chief")
        self.pool_member("140213", "pc-expert", "高建华（山西大同大学环境学院教授）", "expert",
                         "pingcheng-chief")
        self.pool_member("140213", "pc-volunteer", "张伟", "volunteer", "pingcheng-chief",
                         volunteer="zhangwei")
        self.pool_member("140214", "yg-supervisor", "马国庆（人民监督员）", "people_supervisor",
                         "yungang-chief")
        self.pool_member("140214", "yg-expert", "田文（大同市疾病预防控制中心主任医师）", "expert",
                         "yungang-chief")
        comment = {"route": "线索具体，有时间、地点和现场照片，建议受理。",
                   "reject": "反映的是个人纠纷，不涉及公共利益。",
                   "review": "事实尚不清楚，建议检察官进一步核实。"}

        # A: 御河 — assessed, opened, joined by a second reporter's copy.
        self.submit("yuhe", "御河平城区段化工企业夜间通过暗管排放污水",
                    "每天晚上十点以后，御河西岸魏都大道桥南约三百米处，一家化工企业通过埋在河堤下的"
                    "暗管向御河排放黄褐色污水，有刺鼻气味，下游河面漂浮死鱼。附近居民多次向企业反映，"
                    "情况没有改变。",
                    "ecology", "140213", "山西省大同市平城区御河西岸魏都大道桥南", 40.0912, 113.3185,
                    reporter={"name": "刘先生", "phone": "13935201234"})
        self.assess("yuhe", ["route", "route", "route"], comment)
        self.routed("yuhe", "routed")
        self.submit("yuhe-2", "御河平城区段化工企业夜间通过暗管排放污水！",
                    "每天晚上十点以后，御河西岸魏都大道桥南约三百米处，一家化工企业通过埋在河堤下的"
                    "暗管向御河排放黄褐色污水，有刺鼻气味；下游河面漂浮死鱼。附近居民多次向企业反映，"
                    "情况没有改变！",
                    "ecology", "140213", "大同市平城区御河西岸", 40.0915, 113.3181, days_ago=2)
        self.review("yuhe")
        self.assign("yuhe", "pingcheng-chief", "pingcheng-prosecutor")
        self.open_case("yuhe", "A", "pingcheng-chief", "administrative",
                       "督促整治御河平城区段工业废水直排行政公益诉讼案", harm_ongoing=True)
        self.review("yuhe-2")
        self.begin("clue yuhe-2: joined to case A")
        self.site.post("/api/v1/workflow/reviews/%s/decide" % self.state["clues"]["yuhe-2"]["id"],
                       {"decision": "join", "case_id": self.state["cases"]["A"],
                        "reason": "与御河排污案系同一事项"}, self.tok("pingcheng-prosecutor"))
        self.opened_and_served("A", EPB_PINGCHENG, "pingcheng-prosecutor", "pingcheng-chief")
        self.consult("A", "暗管排放口下游五百米断面化学需氧量和氨氮的检测结果是否超过地表水IV类标准？"
                     "超标倍数如何？", "ecology", "pingcheng-prosecutor",
                     answer="根据送检水样，化学需氧量为地表水IV类标准限值的3.2倍，氨氮为2.6倍，"
                     "可以认定排放行为造成御河该段水质恶化。建议同时调取企业在线监测数据比对。",
                     references=["GB 3838-2002 地表水环境质量标准", "HJ 828-2017"])

        # B: 盲道 — a volunteer's clue, no assessor of the field: routed at once.
        self.submit("mangdao", "魏都大道多处盲道被共享单车和商户占用",
                    "平城区魏都大道与永泰街交叉口向南一公里，盲道多处被共享单车、商户摆放的货架和"
                    "违停车辆占用，有的盲道砖破损缺失，视障人士无法通行。",
                    "barrier_free", "140213", "山西省大同市平城区魏都大道永泰街口以南",
                    40.0853, 113.2990, volunteer="zhangwei")
        self.routed("mangdao", "routed")
        organ_b = "大同市平城区住房和城乡建设局"
        self.administrative_case("mangdao", "B", "pingcheng", "督促整治魏都大道盲道被占用行政公益诉讼案",
                                 organ_b)
        self.suggestion("B", organ_b, "pingcheng-prosecutor", "pingcheng-chief", False,
                        "督促依法清理占用盲道的物品，修复破损盲道")

        # C: not opened — the market regulator acted before the clue came.
        self.submit("guoqi", "平城区一小学门口小卖部销售过期零食",
                    "平城区新建北路一所小学门口的小卖部长期销售过期的辣条、饮料，很多学生放学后购买，"
                    "有学生吃后肚子疼。",
                    "food_drug", "140213", "山西省大同市平城区新建北路", 40.1001, 113.2953)
        self.assess("guoqi", ["route", "route"], comment)
        self.review("guoqi")
        self.begin("clue guoqi: not opened")
        self.site.post("/api/v1/workflow/reviews/%s/decide" % self.state["clues"]["guoqi"]["id"], {
            "decision": "not_opened",
            "reason": "经初查，平城区市场监督管理局已于接报前立案查处，责令下架并处罚款，公益受损状态已消除",
            "public_reason": "经审查，相关行政机关已依法查处，本院决定不予立案。感谢您的监督。"},
            self.tok("pingcheng-chief"))

        # D: 十里河采砂 (云冈区) — to be suspended for an appraisal.
        self.submit("caisha", "十里河云冈段有人夜间非法采砂",
                    "云冈区十里河观音堂附近河段，近一个月每天夜里有挖掘机和运砂车采砂，河床被挖出"
                    "多个深坑，河岸植被被破坏。",
                    "ecology", "140214", "山西省大同市云冈区十里河观音堂段", 40.0731, 113.1405)
        self.assess("caisha", ["route", "route", "route"], comment)
        self.administrative_case("caisha", "D", "yungang", "督促整治十里河云冈段非法采砂行政公益诉讼案",
                                 "大同市云冈区水务局", harm_ongoing=True)

        # E: 云冈石窟 — cultural relics, one assessor.
        self.submit("shiku", "云冈石窟保护范围内新建仿古商铺",
                    "云冈石窟东侧的建设控制地带内，近期新建了一排两层仿古商铺，正在进行外墙装修，"
                    "没有看到任何审批公示。",
                    "cultural_relics", "140214", "山西省大同市云冈区云冈镇云冈石窟东侧",
                    40.1098, 113.1247, reporter={"name": "赵女士", "email": "zhao@example.cn"})
        self.assess("shiku", ["route"], comment)
        self.administrative_case("shiku", "E", "yungang", "督促保护云冈石窟建设控制地带行政公益诉讼案",
                                 "大同市云冈区文化和旅游局")
        self.state["misc"]["comment"] = comment
        self.save()
        return "6 clues (assessed, routed, 1 joined, 1 not opened), cases A, B, D, E"

    def phase2(self):
        """A month and a half ago: suggestions, a hearing scheduled, a
        suspension, the city's case, a civil case, a transfer."""
        comment = self.state["misc"]["comment"]
        # A: the suggestion, served; a public hearing in five days.
        self.suggestion("A", EPB_PINGCHENG, "pingcheng-prosecutor", "pingcheng-chief", True,
                        "督促依法查处暗管排污行为，封堵排污暗管，开展御河受污染河段生态修复")
        self.begin("case A: hearing scheduled")
        out = self.site.post("/api/v1/workflow/cases/%s/hearings" % self.state["cases"]["A"], {
            "starts_at": self.at(5), "place": "大同市平城区人民检察院听证室（平城区南环路）",
            "topic": "御河平城区段工业废水直排问题整改情况公开听证", "public": True,
            "members": [self.state["pool"][k] for k in ("pc-supervisor", "pc-expert",
                                                        "pc-volunteer")],
            "participants": [{"name": EPB_PINGCHENG, "role": "organ"},
                             {"name": "刘先生", "role": "representative",
                              "contact": "13935201234"}],
            "volunteers": [{"volunteer_id": self.vid("lixiulan"), "as": "observer"}]},
            self.tok("pingcheng-prosecutor"))
        self.state["misc"]["hearing_held"] = out["id"]

        # B: the organ's reply came late; a supervisor looks.
        self.step("B", "record_reply", "平城区住房和城乡建设局书面回复：已组织清理，正在修复破损盲道",
                  "pingcheng-prosecutor")
        self.supervise("B", "chenjing", "pingcheng-prosecutor")
        self.observe("B", "chenjing", "魏都大道永泰街口以南",
                     "货架和违停车辆已清理，但仍有约二十处共享单车占用盲道，三处破损盲道砖尚未更换。",
                     "partly", "魏都大道盲道-复查1.jpg")

        # D: suspended for an appraisal of the river bed.
        self.step("D", "suspend", "委托司法鉴定机构对十里河受损河段进行生态环境损害鉴定",
                  "yungang-prosecutor", suspension_reason="appraisal")
        # E: 磋商 with the organ.
        self.step("E", "start_consultation", "与云冈区文化和旅游局就违建商铺处置开展磋商",
                  "yungang-prosecutor")
        self.begin("rotation of 140214")
        self.site.call("PUT", "/api/v1/workflow/rotations/140214",
                       {"prosecutors": ["yg.zhaolei"]}, self.tok("yungang-chief"))

        # F: a river-wide matter goes to the city (全流域).
        self.submit("liuyu", "御河全流域多个入河排污口雨天溢流",
                    "每逢下雨，御河全流域从上游到平城区段的多个雨污合流排口都向河道溢流污水，"
                    "河水发黑发臭，持续好几天。",
                    "ecology", "140213", "山西省大同市御河沿线", 40.0950, 113.3120,
                    reporter={"name": "王先生", "phone": "13803521188"})
        self.assess("liuyu", ["route", "route", "route"], comment)
        review = self.review("liuyu")
        if review["procuratorate"] != "140200":
            raise DemoError("clue liuyu went to %s, not the city" % review["procuratorate"])
        self.administrative_case("liuyu", "F", "datong", "督促整治御河流域入河排污口行政公益诉讼案",
                                 "大同市生态环境局")
        self.consult("F", "雨污合流排口溢流的整治，国家对入河排污口排查整治有哪些要求和时限？",
                     "ecology", "datong-prosecutor",
                     answer="依据《关于加强入河入海排污口监督管理工作的实施意见》，应当完成排查、"
                     "监测、溯源、整治四个环节，合流制溢流口应纳入城市排水防涝规划限期改造。",
                     references=["国办函〔2022〕17号"])

        # G: a civil case against sellers of fake health food.
        self.submit("zhibo", "网络直播间销售假冒保健食品",
                    "平城区一家公司在短视频平台直播间销售所谓“降糖神药”的保健食品，宣称可以替代"
                    "胰岛素，包装没有保健食品批准文号，购买者多为老年人。",
                    "food_drug", "140213", "山西省大同市平城区永泰南路", 40.0780, 113.3010)
        self.assess("zhibo", ["route", "route"], comment)
        self.review("zhibo")
        self.open_case("zhibo", "G", "pingcheng-chief", "civil",
                       "平城区某公司销售假冒保健食品民事公益诉讼案")
        self.document("G", "opening_decision", "", "pingcheng-chief")
        self.step("G", "start_investigation", "调取直播回放和销售数据，委托检验产品成分",
                  "pingcheng-prosecutor")

        # H: personal data; the organ has 15 days and will miss them.
        self.submit("wuye", "物业公司在小区群里公开业主身份证和电话",
                    "平城区某小区物业公司为催缴物业费，把两百多户业主的姓名、身份证号、电话和欠费"
                    "金额做成表格发到了小区微信群，群里有一千多人。",
                    "personal_info", "140213", "山西省大同市平城区文兴路某小区", 40.0955, 113.2870,
                    reporter={"name": "陈女士", "phone": "15935207788"})
        self.assess("wuye", ["route"], comment)
        organ_h = "大同市平城区住房和城乡建设局"
        self.administrative_case("wuye", "H", "pingcheng", "督促保护小区业主个人信息行政公益诉讼案",
                                 organ_h, harm_ongoing=True)
        self.suggestion("H", organ_h, "pingcheng-prosecutor", "pingcheng-chief", True,
                        "督促依法查处物业公司违法公开业主个人信息的行为，责令删除并加强监管")

        # I: a school canteen in 云冈区, opened now, a suggestion later.
        self.submit("shitang", "云冈区一中学食堂使用过期食材",
                    "云冈区新平旺一所中学的食堂后厨，冷库里存放着过期两个月的冻肉和发霉的大米，"
                    "学生反映饭菜有异味，家长很担心。",
                    "food_drug", "140214", "山西省大同市云冈区新平旺", 40.0637, 113.1520,
                    reporter={"name": "学生家长", "phone": "13834521010"})
        self.assess("shitang", ["route", "route"], comment)
        self.administrative_case("shitang", "I", "yungang", "督促整治校园食堂食品安全行政公益诉讼案",
                                 "大同市云冈区市场监督管理局", harm_ongoing=True)

        # A clue filed at 平城区 about a place in 云冈区: transferred.
        self.submit("podao", "地下通道的无障碍坡道被拆除",
                    "新平旺同煤总医院对面的地下通道，原来的无障碍坡道在改造中被拆除，只剩台阶，"
                    "坐轮椅的人和推婴儿车的人无法通过。",
                    "barrier_free", "140213", "山西省大同市新平旺同煤总医院对面地下通道",
                    reporter={"name": "张先生", "phone": "13703521234"})
        self.routed("podao", "routed")
        self.review("podao")
        self.begin("clue podao: transfer requested")
        path = "/api/v1/routed-clues/%s/transfer" % self.state["clues"]["podao"]["id"]
        out = self.site.post(path,
                             {"to": "140214", "reason": "经核实，该地下通道位于云冈区，依法移送云冈区人民检察院"},
                             self.tok("pingcheng-prosecutor"))
        self.state["misc"]["transfer_podao"] = out["id"]
        self.save()
        return "6 clues, cases F (大同市), G (civil), H, I; A's hearing scheduled; D suspended"

    def phase3(self):
        """Two weeks ago: case A and B closed after rectification with
        impact, the civil announcement, I's suggestion (due soon), the
        transfer accepted, new clues in the queues."""
        comment = self.state["misc"]["comment"]
        # A: the hearing held, watched, replied, rectified, closed.
        self.begin("case A: hearing held")
        self.site.post("/api/v1/workflow/hearings/%s/hold" % self.state["misc"]["hearing_held"], {
            "outcome": "听证员一致同意检察机关的意见",
            "summary": "听证员认为，平城分局对暗管排污查处不到位，检察建议事实清楚、依据充分；"
                       "行政机关表示将在一个月内完成封堵和生态修复。",
            "opinions": ["同意检察建议，建议跟踪整改。", "建议同步开展下游水质监测。"]},
            self.tok("pingcheng-prosecutor"))
        self.supervise("A", "liufang", "pingcheng-prosecutor")
        self.observe("A", "liufang", "御河西岸魏都大道桥南排污口",
                     "排污暗管已用混凝土封堵，河面未见漂浮物，下游水样颜色正常，无异味。",
                     "rectified", "御河排污口封堵.jpg")
        self.step("A", "record_reply", "大同市生态环境局平城分局书面回复：已立案处罚，封堵暗管，"
                  "完成受污染河段清淤", "pingcheng-prosecutor")
        self.impact("A", "pingcheng-prosecutor",
                    ("eco_compensation", "386000.00", "企业缴纳生态环境损害赔偿金"),
                    ("solid_waste_cleared", "12", "清运河道淤泥和垃圾（处）"),
                    ("people_protected", "52000", "御河平城区段沿岸居民"))
        self.close("A", EPB_PINGCHENG, "pingcheng-prosecutor", "pingcheng-chief",
                   "行政机关已全面整改，暗管封堵，河段生态修复完成",
                   "经检察机关督促，排污暗管已封堵，受污染河段已完成清淤修复。")

        # B: the supervisor sees it done; closed.
        self.observe("B", "chenjing", "魏都大道永泰街口以南",
                     "盲道全线畅通，破损盲道砖已全部更换，并新设了禁止占用盲道的提示牌。",
                     "rectified", "魏都大道盲道-复查2.jpg")
        self.impact("B", "pingcheng-prosecutor",
                    ("blind_lanes_restored", "46", "恢复盲道（处）"),
                    ("barrier_free_facilities", "12", "新设提示牌和缘石坡道"))
        self.close("B", "大同市平城区住房和城乡建设局", "pingcheng-prosecutor", "pingcheng-chief",
                   "占道物品已清理，破损盲道全部修复",
                   "经检察机关督促，魏都大道盲道已全部清理修复。")

        # G: the 30-day announcement runs.
        self.document("G", "announcement", "", "pingcheng-prosecutor")
        self.step("G", "publish_announcement", "依法公告，告知法律规定的机关和有关组织提起诉讼",
                  "pingcheng-prosecutor")

        # I: the suggestion served today two weeks ago, 15 days to reply.
        self.suggestion("I", "大同市云冈区市场监督管理局", "yungang-prosecutor", "yungang-chief",
                        True, "督促依法查处学校食堂使用过期食材问题，开展校园食品安全专项检查")
        self.pool_member("140214", "yg-volunteer", "李秀兰", "volunteer", "yungang-chief",
                         volunteer="lixiulan")
        self.begin("case I: hearing scheduled")
        out = self.site.post("/api/v1/workflow/cases/%s/hearings" % self.state["cases"]["I"], {
            "starts_at": self.at(21, 14, 30), "place": "大同市云冈区人民检察院听证室",
            "topic": "校园食堂食品安全问题整改公开听证", "public": True,
            "stream_url": "https://live.example.cn/yungang/hearing",
            "members": [self.state["pool"][k] for k in ("yg-supervisor", "yg-expert",
                                                        "yg-volunteer")],
            "participants": [{"name": "大同市云冈区市场监督管理局", "role": "organ"},
                             {"name": "大同市云冈区教育局", "role": "organ"}]},
            self.tok("yungang-prosecutor"))
        self.state["misc"]["hearing_upcoming"] = out["id"]

        # The transfer accepted: the clue is 云冈区's now.
        self.begin("clue podao: transfer accepted")
        self.site.post("/api/v1/transfers/%s/accept" % self.state["misc"]["transfer_podao"],
                       {"reason": "经核实属本院管辖，予以接收"}, self.tok("yungang-prosecutor"))

        # New clues in the queues.
        self.submit("cesuo", "人民公园公共卫生间无障碍厕位被锁",
                    "平城区人民公园东门的公共卫生间，无障碍厕位常年上锁，门口堆放清洁工具，"
                    "坐轮椅的游客无法使用。",
                    "barrier_free", "140213", "山西省大同市平城区人民公园东门",
                    40.0920, 113.2975, volunteer="zhangwei")
        self.submit("youyan", "小区底商餐馆油烟直排居民楼",
                    "平城区文兴路一栋居民楼底商的烧烤店没有安装油烟净化设备，油烟从后窗直排，"
                    "二楼以上的住户常年不能开窗。",
                    "ecology", "140213", "山西省大同市平城区文兴路", 40.0961, 113.2866,
                    volunteer="wangjianguo")
        self.assess("youyan", ["route", "route"], comment)
        self.review("youyan")
        self.assign("youyan", "pingcheng-chief", "pingcheng-prosecutor")
        self.submit("jiufen", "邻居在楼道堆放杂物",
                    "平城区某小区我家对门的邻居长期在楼道里堆放纸箱和旧家具，和他沟通多次不听。",
                    "ecology", "140213", "山西省大同市平城区某小区", days_ago=1)
        self.assess("jiufen", ["reject", "reject", "reject"], comment)
        self.routed("jiufen", "rejected")
        self.submit("shahe", "口泉河河道内倾倒建筑垃圾",
                    "云冈区口泉河马军营段的河道里，最近有渣土车倾倒建筑垃圾，已经堆了好几堆。",
                    "ecology", "140214", "山西省大同市云冈区口泉河马军营段", 40.0580, 113.1720)
        self.assess("shahe", ["route", "reject", "review"], comment)
        self.routed("cesuo", "routed")
        self.routed("shahe", "review")
        return "5 clues; cases A and B closed with impact; G announced; I's suggestion served"

    def phase4(self):
        """Today, on the real clock: open assessment tasks, an open
        consultation, a clue in the city's triage queue, a transfer to
        answer, and every volunteer's login checked."""
        self.submit("yangchen", "建筑工地未覆盖裸土扬尘严重",
                    "平城区御东新区一处住宅工地大面积裸土没有覆盖，也没有喷淋降尘，刮风时周边"
                    "道路和小区一片黄土。",
                    "ecology", "140213", "山西省大同市平城区御东新区文瀛湖街", 40.0830, 113.3450,
                    days_ago=1)
        self.submit("naifen", "超市销售临期奶粉更改生产日期",
                    "云冈区一家超市把临期的婴儿奶粉重新贴上新的生产日期标签销售。",
                    "food_drug", "140214", "山西省大同市云冈区新平旺某超市", 40.0652, 113.1498,
                    days_ago=1)
        self.routed("yangchen", "assessing")
        self.routed("naifen", "assessing")
        self.submit("zhaopin", "招聘启事限男性",
                    "大同市某国有企业发布的招聘启事中，多个普通文员岗位写明“限男性”。",
                    "womens_rights", "140200", "山西省大同市", channel="hotline_12345",
                    days_ago=2)
        self.routed("zhaopin", "routed")
        self.submit("jinianbei", "烈士纪念碑周边被占用停车",
                    "马军营烈士陵园纪念碑广场上每天停满了私家车，还有人在纪念碑台阶上晾晒衣物。",
                    "heroes_martyrs", "140213", "山西省大同市马军营烈士陵园",
                    reporter={"name": "退役军人李先生", "phone": "13903521199"}, days_ago=2)
        self.routed("jinianbei", "routed")
        self.review("jinianbei")
        self.begin("clue jinianbei: transfer requested")
        self.site.post("/api/v1/routed-clues/%s/transfer" %
                       self.state["clues"]["jinianbei"]["id"],
                       {"to": "140214", "reason": "马军营烈士陵园位于云冈区，移送云冈区人民检察院"},
                       self.tok("pingcheng-prosecutor"))
        self.consult("F", "城市合流制溢流污染控制，国内同类城市通常采取哪些工程措施？投资和工期大致多少？",
                     "ecology", "datong-prosecutor")
        self.begin("the volunteers' logins")
        for login, v in self.state["volunteers"].items():
            code, _ = self.site.call("POST", "/api/v1/auth/login",
                                     {"login": login, "password": v["password"]},
                                     allow=(403,))
            if (code == 200) != v["appointed"]:
                raise DemoError("the login of %s answered %d" % (login, code))
        return "4 clues (2 being assessed, 1 in the city's triage, 1 to transfer); a consultation"

    def run(self, phase):
        name = PHASES[phase - 1][0]
        started = time.monotonic()
        print("demo: phase %d of %d (%s, %s)" % (phase, len(PHASES), name,
                                                 self.now().strftime("%Y-%m-%d %H:%M")),
              flush=True)
        done = getattr(self, "phase%d" % phase)()
        self.begin("wait for the services to catch up")
        self.site.settle()
        print("demo:   %s (%.1f s)" % (done, time.monotonic() - started), flush=True)


# --------------------------------------------------------------------------
# Status and logins.

def read_marker(folder):
    try:
        with open(os.path.join(folder, MARKER)) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def status(site, folder):
    """loaded, empty or data: what scripts/up does with the demo."""
    marker = read_marker(folder)
    token = site.staff_token("datong-admin")
    if marker:
        code, v = site.call("GET", "/api/v1/volunteers/%s" % marker["volunteer"], token=token,
                            allow=(404,))
        if code == 200 and v.get("login") == marker["login"]:
            return "loaded"
    if os.path.exists(os.path.join(folder, "state.json")):
        return "partial"  # a load that stopped half-way: its phases cannot be run again
    # Anything at the router (a clue it consumed, a volunteer) is a site in use.
    h = site.get("/router/healthz", None)
    if any(c.get("position", 0) for c in (h.get("consumed") or {}).values()):
        return "data"
    if site.get("/api/v1/volunteers?limit=1", token)["items"]:  # 大同市 and its counties
        return "data"
    return "empty"


def write_logins(site, folder, edge):
    """Tokens anew for the staff; logins.json and logins.txt."""
    with open(os.path.join(folder, "state.json")) as f:
        state = json.load(f)
    tokens_dir = os.path.join(folder, "tokens")
    os.makedirs(tokens_dir, exist_ok=True)
    os.chmod(tokens_dir, 0o700)
    people = []
    for who, name, title, role, proc, sub in STAFF:
        token = site.staff_token(who)
        path = os.path.join(tokens_dir, who + ".token")
        with open(path + ".tmp", "w") as f:
            f.write(token + "\n")
        os.chmod(path + ".tmp", 0o600)
        os.replace(path + ".tmp", path)
        people.append({"who": who, "name": name, "label": title, "role": role,
                       "procuratorate": proc, "subject": sub, "token": token,
                       "token_file": path})
    for login, v in state["volunteers"].items():
        people.append({"who": login, "name": v["name"],
                       "label": "志愿者" if v["appointed"] else "志愿者（申请中，未聘任）",
                       "role": "volunteer", "procuratorate": v["proc"], "login": login,
                       "password": v["password"], "volunteer_id": v["id"],
                       "appointed": v["appointed"], "certificate_no": v.get("certificate_no"),
                       "roles": v["roles"]})
    expires = datetime.datetime.now(BEIJING) + datetime.timedelta(seconds=TOKEN_TTL_S)
    doc = {"edge": edge, "console": edge.rstrip("/") + "/",
           "tokens_expire_at": expires.isoformat(timespec="seconds"), "people": people,
           "clues": {k: {"id": c["id"], "receipt_code": c["receipt"], "title": c["title"]}
                     for k, c in state["clues"].items()},
           "cases": state["cases"]}
    path = os.path.join(folder, "logins.json")
    with open(path + ".tmp", "w") as f:
        json.dump(doc, f, ensure_ascii=False, indent=1)
    os.chmod(path + ".tmp", 0o600)
    os.replace(path + ".tmp", path)
    lines = ["The demo's logins (console: %s)" % doc["console"], "",
             "Volunteers sign in with a login and password:"]
    for p in people:
        if p["role"] == "volunteer":
            lines.append("  %-12s %-18s %s %s" % (p["login"], p["password"], p["name"],
                                                  p["label"]))
    lines += ["", "Staff sign in with a token (valid until %s): paste the token file's line"
              % expires.strftime("%Y-%m-%d"), "into the console's login page."]
    for p in people:
        if p["role"] != "volunteer":
            lines.append("  %-20s %s %s  %s" % (p["who"], p["name"], p["label"],
                                                p["token_file"]))
    lines.append("")
    with open(os.path.join(folder, "logins.txt"), "w") as f:
        f.write("\n".join(lines))
    first = next(p for p in people if p["role"] == "volunteer" and p["appointed"])
    with open(os.path.join(folder, MARKER), "w") as f:
        json.dump({"volunteer": first["volunteer_id"], "login": first["login"]}, f)


def main(argv):
    parser = argparse.ArgumentParser(prog="demo.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("status", "clock", "load", "logins"))
    parser.add_argument("phase", nargs="?", type=int)
    parser.add_argument("--dir", help="the demo's folder (.run/demo)")
    parser.add_argument("--edge", help="the edge, e.g. http://127.0.0.1:8080")
    parser.add_argument("--router", help="the router's own port, for /api/v1/tasks")
    parser.add_argument("--token-secret", help="the site's token secret key file")
    parser.add_argument("--gy-token", help="the gy-token program")
    parser.add_argument("--clock", help="GY_CLOCK_START the services run on, - for none")
    parser.add_argument("--now", help="clock: today is this instant's day (a test's clock)")
    args = parser.parse_args(argv)
    if args.command in ("clock", "load") and not (args.phase and 1 <= args.phase <= len(PHASES)):
        parser.error("%s needs a PHASE from 1 to %d" % (args.command, len(PHASES)))
    if args.command == "clock":
        print(phase_clock(args.phase, parse_instant(args.now) if args.now else None) or "")
        return 0
    for name in ("dir", "edge", "token_secret", "gy_token"):
        if not getattr(args, name):
            parser.error("--%s is required" % name.replace("_", "-"))
    os.makedirs(args.dir, exist_ok=True)
    os.chmod(args.dir, 0o700)
    site = Site(args)
    phase = None
    try:
        if args.command == "status":
            print(status(site, args.dir))
        elif args.command == "load":
            phase = args.phase
            if args.clock is None:
                parser.error("load needs --clock (the services' GY_CLOCK_START, - for none)")
            Loader(site, args.dir, None if args.clock == "-" else args.clock).run(phase)
        else:
            write_logins(site, args.dir, args.edge)
    except DemoError as exc:
        where = "phase %d, " % phase if phase else ""
        print("demo: error: %sstep \"%s\": %s" % (where, site.step, exc), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
