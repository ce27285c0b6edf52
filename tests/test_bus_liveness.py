"""A link that dies without a word: the router follows an intake through a
TCP relay that can go silent — it keeps the connections open and drops
every byte, as a cut cable or a firewall does.  While silent, a clue is
stored and announced, and the intake is killed and restarted.  When the
relay forwards again (new connections only: the old ones stay silent, as
connections to a dead process do), the router must find out by itself that
its connections are dead, connect again and catch up: ZMTP heartbeats on
every bus socket (common/gy_bus.c).  Without them the router keeps waiting
on the silent connections and the clue is never routed."""

import socket
import threading
import time
import unittest
import uuid

import gytest
from gytest import valid_clue

S = {}


class SilentRelay:
    """Accepts on a free port and relays to `target`.  cut() makes every
    existing connection silent (bytes read and dropped both ways, nothing
    closed) and the new ones too; heal() lets new connections through."""

    def __init__(self, target_port):
        self.target_port = target_port
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.cut_now = False
        self.conns = []  # [client, upstream, state]; state["silent"]
        self.lock = threading.Lock()
        self.stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def endpoint(self):
        return "tcp://127.0.0.1:%d" % self.port

    def cut(self):
        with self.lock:
            self.cut_now = True
            for _c, _u, state in self.conns:
                state["silent"] = True

    def heal(self):
        with self.lock:
            self.cut_now = False

    def stop(self):
        self.stopped = True
        self.listener.close()
        with self.lock:
            for c, u, _state in self.conns:
                for sock in (c, u):
                    try:
                        sock.close()
                    except OSError:
                        pass

    def _accept(self):
        while not self.stopped:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            state = {"silent": self.cut_now}
            upstream = None
            if not state["silent"]:
                try:
                    upstream = socket.create_connection(("127.0.0.1", self.target_port), 2)
                except OSError:
                    client.close()
                    continue
            with self.lock:
                self.conns.append([client, upstream, state])
            threading.Thread(target=self._pump, args=(client, upstream, state),
                             daemon=True).start()
            if upstream:
                threading.Thread(target=self._pump, args=(upstream, client, state),
                                 daemon=True).start()

    def _pump(self, src, dst, state):
        while not self.stopped:
            try:
                data = src.recv(65536)
            except OSError:
                data = b""
            if not data:
                # The far end went away.  A silent link tells nobody.
                if not state["silent"] and dst is not None:
                    try:
                        dst.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                return
            if state["silent"] or dst is None:
                continue
            try:
                dst.sendall(data)
            except OSError:
                return


def setUpModule():
    gytest.require_router_build()
    S["folder"] = gytest.run_dir("test_bus_liveness")
    S["dbname"] = gytest.create_database("liveness")
    S["db"] = gytest.Db(S["dbname"])
    S["intake"] = gytest.Intake(S["folder"], "intake-live", S["dbname"]).start()
    port = lambda ep: int(ep.rsplit(":", 1)[1])
    S["relays"] = [SilentRelay(port(S["intake"].events)), SilentRelay(port(S["intake"].replay))]
    sources = "%s|%s" % (S["relays"][0].endpoint(), S["relays"][1].endpoint())
    S["router"] = gytest.Router(S["folder"], "router-live", S["dbname"], [S["intake"]],
                                env={"GY_SOURCES": sources, "GY_DEADLINE_SCAN_MS": "0"}).start()


def tearDownModule():
    if "router" in S:
        S["router"].stop()
    for r in S.get("relays", []):
        r.stop()
    if "intake" in S:
        S["intake"].stop()
    if "db" in S:
        S["db"].close()
    if "dbname" in S:
        gytest.drop_database(S["dbname"])


def submit():
    r = S["intake"].post_clue(valid_clue(description="链路测试" + uuid.uuid4().hex),
                              idem=str(uuid.uuid4()))
    assert r.status == 201, r
    return r.json()["id"]


def routed(clue_id):
    return S["db"].scalar("SELECT count(*) FROM router.clue WHERE id = %s", (clue_id,)) == 1


def wait(predicate, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


class LivenessTest(gytest.IntakeTestCase):

    def test_a_silent_link_is_found_dead_and_replaced(self):
        first = submit()
        self.assertTrue(wait(lambda: routed(first), 30), S["router"].log_tail())

        for r in S["relays"]:
            r.cut()
        during = submit()
        # The intake restarts while the link is down: its connections to
        # the router are gone, the router's to it are silent.
        S["intake"].kill()
        S["intake"].start()
        time.sleep(1.0)
        self.assertFalse(routed(during), "routed through a cut link?")
        for r in S["relays"]:
            r.heal()
        # Heartbeats time out after 10 s; reconnecting and catching up take
        # a few more.  Without heartbeats this never happens.
        self.assertTrue(wait(lambda: routed(during), 45),
                        "not routed 45 s after the link came back; router log:\n%s"
                        % S["router"].log_tail())
        after = submit()
        self.assertTrue(wait(lambda: routed(after), 30), S["router"].log_tail())


if __name__ == "__main__":
    unittest.main()
