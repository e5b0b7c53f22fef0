"""``make run`` keeps the assistant up: a server that exits is started again (with back-off, logged)
while the others keep serving; Ctrl-C/SIGTERM still stops everything.

The fast tests supervise small stand-in servers through the same ``Stack`` code; the ``stack`` test
runs ``python -m scripts.run`` itself (what ``make run`` runs) on spare ports and kill -9s Rasa and
then the action server."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import pytest

from scripts.stack import MODEL, ROOT, Stack, StackConfig

PORT_OFFSET = int(os.environ.get("HOTLINE_TEST_PORT_OFFSET", "0"))
OUTPUT = ROOT / "test-output"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _up(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is not alive
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def _wait(cond, timeout: float, what: str, step: float = 0.1) -> None:
    t0 = time.monotonic()
    while not cond():
        if time.monotonic() - t0 > timeout:
            raise AssertionError(f"timed out after {timeout:.0f}s: {what}")
        time.sleep(step)


# A stand-in server whose worker child holds the port (like Sanic's worker process): killing only
# the parent must not leave the port taken.
SERVER = r"""
import http.server, os, sys, time
port = int(sys.argv[1])
if os.fork() == 0:
    http.server.HTTPServer(("127.0.0.1", port), http.server.SimpleHTTPRequestHandler).serve_forever()
else:
    while True:
        time.sleep(1)
"""


class StandIns(Stack):
    def __init__(self, log_dir: Path, specs: dict[str, list[str]], ports: dict[str, int], **kw):
        super().__init__(StackConfig(log_dir=log_dir), services=tuple(specs), **kw)
        self.specs, self.ports = specs, ports

    def commands(self):
        env = dict(os.environ)
        return {name: (argv, env) for name, argv in self.specs.items()}

    def checks(self):
        return {name: (lambda p=port: _up(p)) for name, port in self.ports.items()}

    def listen_ports(self):
        return {name: [port] for name, port in self.ports.items()}


def test_a_killed_server_comes_back_while_the_others_keep_serving(tmp_path):
    a, b = _free_port(), _free_port()
    stack = StandIns(tmp_path, {"a": [sys.executable, "-c", SERVER, str(a)],
                                "b": [sys.executable, "-c", SERVER, str(b)]},
                     {"a": a, "b": b}, backoff=(0.3, 2.0))
    stack.start()
    stack.supervise(poll_s=0.1)
    try:
        stack.wait_ready(timeout=30)
        first, b_pid = stack.procs["a"].pid, stack.procs["b"].pid
        os.kill(first, signal.SIGKILL)               # the parent only; its worker still holds the port
        _wait(lambda: _up(b), 10, "b serves while a is down")
        _wait(lambda: stack.procs["a"].pid != first, 10, "a restarted")
        _wait(lambda: _up(a), 20, "a serves again")
        assert not _alive(first)
        assert stack.procs["b"].pid == b_pid and stack.restarts == {"a": 1, "b": 0}
        _wait(lambda: _up(b), 10, "b still serves")
        log = (tmp_path / "supervisor.log").read_text("utf-8")
        assert re.search(r"a exited with code -9 after \d+s; restarting in 0.3s", log), log
        assert f"started a (pid {stack.procs['a'].pid})" in log
    finally:
        stack.stop()
    assert not _up(a) and not _up(b)                   # stop() ends every server and its workers
    for proc in stack.procs.values():
        assert proc.poll() is not None


def test_a_crashing_server_is_restarted_with_growing_backoff(tmp_path):
    port = _free_port()
    crash = [sys.executable, "-c", "import sys; sys.exit(3)"]
    stack = StandIns(tmp_path, {"bad": crash, "good": [sys.executable, "-c", SERVER, str(port)]},
                     {"bad": _free_port(), "good": port}, backoff=(0.2, 0.8), max_start_failures=99)
    stack.start()
    stack.supervise(poll_s=0.05)
    try:
        _wait(lambda: stack.restarts["bad"] >= 4, 20, "four restarts")
        _wait(lambda: _up(port), 10, "the good server serves all along")
        assert stack.restarts["good"] == 0
        delays = [float(m) for m in re.findall(r"bad exited with code 3 after \d+s; restarting in ([\d.]+)s",
                                                 "\n".join(stack.events))]
        assert delays[:4] == [0.2, 0.4, 0.8, 0.8]        # doubling, capped
    finally:
        stack.stop()
    assert not _up(port)


def test_wait_ready_gives_up_on_a_server_that_never_starts(tmp_path):
    crash = [sys.executable, "-c", "import sys; sys.exit(3)"]
    stack = StandIns(tmp_path, {"bad": crash}, {"bad": _free_port()}, backoff=(0.05, 0.1),
                     max_start_failures=2)
    stack.start()
    stack.supervise(poll_s=0.02)
    try:
        with pytest.raises(RuntimeError, match="bad exited with code 3"):
            stack.wait_ready(timeout=30)
    finally:
        stack.stop()


SERVE = r"""
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from test_supervision import SERVER, StandIns
from scripts.stack import serve
port = int(sys.argv[1])
stack = StandIns(Path(sys.argv[2]), {"a": [sys.executable, "-c", SERVER, str(port)]}, {"a": port})
sys.exit(serve(stack, starting="starting", banner=lambda: "BANNER\n", ready_timeout=30))
"""


def test_serve_is_the_foreground_loop_and_sigterm_stops_everything(tmp_path):
    """``serve()``: the one loop behind ``make run`` and ``make cluster``."""
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-c", SERVE, str(port), str(tmp_path), str(ROOT / "tests")],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, start_new_session=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")), daemon=True)
    reader.start()
    try:
        _wait(lambda: any("BANNER" in line for line in lines), 30, "serve() says it is running")
        assert _up(port)
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
        reader.join(10)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    out = "".join(lines)
    assert code == 0, out
    assert out.index("starting") < out.index("BANNER") < out.index("Stopping"), out
    assert "Press Ctrl-C to stop" in out
    assert not _up(port)                                # the server and its worker are gone


# ---------------------------------------------------------------- the real `make run`
@pytest.mark.stack
def test_make_run_brings_back_rasa_and_the_action_server_after_kill_9(tmp_path):
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run the tests with `make test`")
    ports = {"rasa": 15105 + PORT_OFFSET, "actions": 15155 + PORT_OFFSET, "gateway": 18105 + PORT_OFFSET}
    log_dir = OUTPUT / f"supervision-logs{PORT_OFFSET or ''}"
    work = Path(tempfile.mkdtemp(prefix="hotline-run-"))
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'bot'}",
           "HANDOFF_DATABASE_URL": f"sqlite:///{work / 'handoff.db'}",
           "HANDOFF_FAKE_NOW": "2026-11-30T10:00:00+08:00", "AGENT_ASSIST": "false",
           "RASA_TOKEN": "supervision-test-token"}   # make run's Rasa API needs its token (issue 13)
    env.pop("RASA_URLS", None)
    run = subprocess.Popen(
        [sys.executable, "-m", "scripts.run", "--rasa-port", str(ports["rasa"]),
         "--action-port", str(ports["actions"]), "--gateway-port", str(ports["gateway"]),
         "--var-dir", str(work / "var"), "--log-dir", str(log_dir)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True)
    rasa, gateway = f"http://127.0.0.1:{ports['rasa']}", f"http://127.0.0.1:{ports['gateway']}"
    supervisor_log = log_dir / "supervisor.log"

    def pid_of(name: str) -> int:
        found = re.findall(rf"started {name} \(pid (\d+)\)", supervisor_log.read_text("utf-8"))
        return int(found[-1])

    def ready(url: str, expect: bytes = b"") -> bool:
        try:
            r = httpx.get(url, timeout=3)
            return r.status_code == 200 and expect in r.content
        except httpx.HTTPError:
            return False

    def ask(text: str) -> str:
        r = httpx.post(f"{rasa}/webhooks/rest/webhook", json={"sender": f"sup-{time.time_ns()}",
                                                               "message": text}, timeout=60)
        assert r.status_code == 200
        return "\n".join(m.get("text", "") for m in r.json())

    def outage(name: str, health_url: str, expect: bytes) -> float:
        old = pid_of(name)
        os.kill(old, signal.SIGKILL)             # the main process only, as a crash would
        t0, probes = time.monotonic(), []
        # back = a new process (the supervisor also ended the old one's workers) that is ready
        while not (pid_of(name) != old and ready(health_url, expect)):
            assert time.monotonic() - t0 < 300, f"{name} did not come back:\n{supervisor_log.read_text()}"
            t = time.monotonic()
            status = httpx.get(f"{gateway}/health", timeout=5).status_code   # the gateway answers
            probes.append((status, time.monotonic() - t))
            time.sleep(1)
        assert not _alive(old)
        assert probes and all(s in (200, 503) and dt < 5 for s, dt in probes), probes
        assert any(s == 503 for s, _ in probes)      # it said it was degraded during the outage
        return time.monotonic() - t0

    try:
        t0 = time.monotonic()
        while not (ready(f"{rasa}/status?token=supervision-test-token", b"hotline") and ready(f"{gateway}/health")):
            assert run.poll() is None, run.stdout.read()
            assert time.monotonic() - t0 < 400, "the stack did not start"
            time.sleep(1)
        assert ask("你好")

        back = outage("rasa", f"{rasa}/status?token=supervision-test-token", b"hotline")
        assert ask("你好")                                        # Rasa answers again
        assert re.search(r"rasa exited with code -9 after \d+s; restarting in 1s", supervisor_log.read_text())

        back_actions = outage("actions", f"http://127.0.0.1:{ports['actions']}/health", b"")
        answer = ask("員工8人的製造業補助上限多少")                 # needs the action server
        assert "依據" in answer, answer
        print(f"rasa back after {back:.0f}s, the action server after {back_actions:.0f}s")
    finally:
        run.send_signal(signal.SIGTERM)                         # what Ctrl-C does, too
        try:
            code = run.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(run.pid, signal.SIGKILL)
            raise
    out = run.stdout.read()
    assert code == 0, out
    assert "Stopping" in out
    for name in ("rasa", "actions", "gateway"):
        assert not _alive(pid_of(name)), name
    assert not ready(f"{gateway}/health")


def test_a_stack_does_not_start_a_server_on_a_port_in_use(tmp_path):
    """A server that cannot bind may exit 0 (Rasa) and say why only in its log: the stack checks its
    ports first and names the busy one. A client connection's local port counts as in use too (the
    bench's stacks once listened inside the kernel's ephemeral range and lost that race)."""
    from scripts.stack import port_free

    with socket.socket() as srv:
        srv.bind(("127.0.0.1", 0))
        srv.listen()
        port = srv.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port)) as client:
            local = client.getsockname()[1]
            assert not port_free("127.0.0.1", port) and not port_free("127.0.0.1", local)
            for busy in (port, local):
                stack = Stack(StackConfig(gateway_port=busy, log_dir=tmp_path), services=("gateway",))
                with pytest.raises(RuntimeError, match=f"port already in use.*gateway {busy}"):
                    stack.start()
                assert stack.procs == {}
    assert port_free("127.0.0.1", port)


def test_the_bench_stacks_listen_outside_the_ephemeral_port_range(tmp_path):
    """Outgoing connections take local ports from ip_local_port_range; a server port inside it can be
    taken by any client of the test session (what happened: the startup bench's Rasa exited 0)."""
    from bench import latency, load

    low, high = (int(x) for x in Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    stacks = [load._own_stack(7, {}), Stack(latency.own_config(7, tmp_path))]
    ports = [p for s in stacks for each in s.listen_ports().values() for p in each] + [load.STOCK_PORT + 7]
    assert len(ports) == 9
    assert not [p for p in ports if low <= p <= high]
