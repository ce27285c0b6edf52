"""The console (console/) in Debian's Chromium, headless, through the edge
as scripts/up runs it: the public submits a clue, keeps the receipt code
and follows it up; axe-core finds no serious or critical WCAG 2.1 AA
violation on any page (console/tests/e2e/public.mjs).  The clue it sent
is then checked in intake's database: what the form said is what was
stored.  Screenshots stay in the module's run folder (console-*.png)."""
import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess
import unittest

import gytest
from test_edge import EDGE_SOURCE, NGINX, Edge

S = {}
CHROMIUM = os.environ.get("GY_CHROMIUM", "/usr/bin/chromium")
NODE = shutil.which("node")


def setUpModule():
    gytest.require_build()
    console = os.path.join(gytest.SOURCE_DIR, "console")
    if not os.path.exists(os.path.join(console, "dist", "index.html")):
        raise RuntimeError("the console is not built (scripts/console build, or the build's "
                           "console target)")
    for what, path in (("nginx", NGINX), ("chromium", CHROMIUM), ("node", NODE)):
        if not path or not os.access(path, os.X_OK):
            raise RuntimeError("%s is missing (scripts/deps installs it)" % what)
    folder = gytest.run_dir("test_console")
    dbname = gytest.create_database("console")
    S.update(folder=folder, dbname=dbname, db=gytest.Db(dbname), console=console)
    S["intake"] = gytest.Intake(folder, "intake-console", dbname,
                                env={"GY_TRUSTED_PROXIES": EDGE_SOURCE}).start()
    S["edge"] = Edge(folder, S["intake"].http_port, gytest.free_port(), gytest.free_port(),
                     console_dir=os.path.join(console, "dist")).start()


def tearDownModule():
    for key in ("edge", "intake"):
        if key in S:
            S[key].stop()
    if "db" in S:
        S["db"].close()
        gytest.drop_database(S["dbname"])


class PublicTest(gytest.IntakeTestCase):

    def test_submit_keep_the_code_and_follow_up(self):
        out = os.path.join(S["folder"], "screenshots")
        os.makedirs(out, exist_ok=True)
        r = subprocess.run([NODE, os.path.join(S["console"], "tests", "e2e", "public.mjs"),
                            "http://127.0.0.1:%d" % S["edge"].port, out],
                           capture_output=True, text=True, timeout=180,
                           env=dict(os.environ, GY_CHROMIUM=CHROMIUM))
        lines = [x for x in r.stdout.splitlines() if x.startswith("E2E_RESULT ")]
        self.assertTrue(lines, "no result from the browser:\n%s\n%s" % (r.stdout, r.stderr))
        result = json.loads(lines[-1][len("E2E_RESULT "):])
        self.assertEqual(result["failures"], [], json.dumps(result, ensure_ascii=False, indent=1))
        self.assertEqual(r.returncode, 0, r.stderr)
        for page in ("submit", "receipt", "follow"):
            self.assertTrue(os.path.getsize(os.path.join(out, page + ".png")) > 0, page)
        # What the browser sent is what intake stored, once.
        rows = S["db"].query("SELECT title, field_code, region_code FROM intake.clue"
                             " WHERE receipt_code = %s", (result["receipt_code"],))
        self.assertEqual(rows, [("御河平城区段夜间有管道向河道排放污水", "ecology", "140213")])
        # The attachment: its metadata, the hash made by the browser of the
        # bytes the script picked (the file itself was never sent).
        photo = b"a photo of the outfall"
        rows = S["db"].query("SELECT attachments FROM intake.clue WHERE receipt_code = %s",
                             (result["receipt_code"],))
        attachments = rows[0][0] if isinstance(rows[0][0], list) else json.loads(rows[0][0])
        self.assertEqual(attachments, [{"name": "排污口.jpg", "media_type": "image/jpeg",
                                        "size": len(photo),
                                        "sha256": hashlib.sha256(photo).hexdigest()}])
        self.assertEqual(result["steps"][0], "已受理")


class ServingTest(gytest.IntakeTestCase):

    def test_assets_compressed_and_cached(self):
        index = gytest.http_request(S["edge"].port, "GET", "/")
        self.assertEqual(index.status, 200)
        scripts = re.findall(r'src="(/assets/[^"]+\.js)"', index.body.decode())
        self.assertEqual(len(scripts), 1, index.body)
        with open(os.path.join(S["console"], "dist", scripts[0].lstrip("/")), "rb") as f:
            built = f.read()
        r = gytest.http_request(S["edge"].port, "GET", scripts[0],
                                headers={"Accept-Encoding": "gzip"})
        self.assertEqual(r.status, 200)
        self.assertEqual(r.headers.get("content-encoding"), "gzip")
        self.assertIn("application/javascript", r.headers["content-type"])
        self.assertIn("immutable", r.headers["cache-control"])
        self.assertEqual(gzip.decompress(r.body), built)
        self.assertLess(len(r.body), len(built) // 2)
        plain = gytest.http_request(S["edge"].port, "GET", scripts[0])
        self.assertEqual((plain.headers.get("content-encoding"), plain.body), (None, built))


if __name__ == "__main__":
    unittest.main()
