"""`make shell` (scripts/rasa_tools.py): the action server is started, `rasa shell` answers a
programme question typed in a terminal (a pseudo-terminal here) with the action server's cited
answer, and /stop leaves Rasa and stops the action server again. `make interactive` builds its
command from the same parts."""
from __future__ import annotations

import os
import pty
import select
import signal
import socket
import subprocess
import sys
import time

import pytest

from scripts.rasa_tools import rasa_command
from scripts.stack import MODEL, ROOT, StackConfig
from testenv import PORT_OFFSET

ACTION_PORT = 15056 + PORT_OFFSET
RASA_PORT = 15006 + PORT_OFFSET


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def read_until(fd: int, wanted: str, timeout: float, seen: list[str]) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 1.0)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                return wanted in "".join(seen)
            if not chunk:
                break
            seen.append(chunk.decode("utf-8", "replace"))
            if wanted in "".join(seen):
                return True
    return wanted in "".join(seen)


@pytest.mark.stack
def test_make_shell_answers_from_the_action_server_and_stops_it(tmp_path):
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}")
    assert not port_open(ACTION_PORT) and not port_open(RASA_PORT)
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}   # the script sets what Rasa needs
    proc = subprocess.Popen([sys.executable, "-m", "scripts.rasa_tools", "shell", "--action-port", str(ACTION_PORT),
                             "--rasa-port", str(RASA_PORT), "--var-dir", str(tmp_path / "var")],
                            cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT), "TERM": "dumb"},
                            stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
    os.close(slave)
    seen: list[str] = []
    try:
        assert read_until(master, "Bot loaded", 420, seen), "".join(seen)[-3000:]
        assert port_open(ACTION_PORT), "the action server is not running beside rasa shell"
        time.sleep(2)
        os.write(master, "整個計畫預算多少\r".encode("utf-8"))
        assert read_until(master, "110億", 180, seen), "".join(seen)[-3000:]
        os.write(master, b"/stop\r")
        # /stop ends rasa shell; if Rasa's server is slow to wind down, Ctrl-C (SIGINT) ends it
        if not read_until(master, "action server stopped", 90, seen):
            os.killpg(proc.pid, signal.SIGINT)
            assert read_until(master, "action server stopped", 60, seen), "".join(seen)[-3000:]
        proc.wait(timeout=30)
        assert not port_open(ACTION_PORT), "the action server was left running"
    finally:
        if proc.poll() is None:   # SIGTERM first: the script stops its action server
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)
        os.close(master)


def test_make_interactive_uses_the_trained_model_and_the_same_action_server():
    cfg = StackConfig(action_port=ACTION_PORT)
    cmd = rasa_command("interactive", cfg, ROOT / "var" / "endpoints.yml", RASA_PORT)
    assert cmd[1] == "interactive" and "--model" in cmd and str(cfg.model) in cmd
    assert "--endpoints" in cmd and "--skip-visualization" in cmd
    assert cmd[cmd.index("--data") + 1].endswith("bot/data") and cmd[cmd.index("-p") + 1] == str(RASA_PORT)


def test_make_test_runs_the_audit_and_the_rasa_test_stories():
    import re

    makefile = (ROOT / "Makefile").read_text("utf-8")
    recipe = re.search(r"^test:.*?\n((?:\t.*\n)+)", makefile, re.M).group(1)
    assert "scripts/audit.py" in recipe and "pytest" in recipe and "test-stories" in recipe
    stories = re.search(r"^test-stories:.*?\n((?:\t.*\n)+)", makefile, re.M).group(1)
    assert "test core --stories tests" in stories and "--fail-on-prediction-errors" in stories
    assert (ROOT / "bot" / "tests" / "test_stories.yml").exists()
    for verb in ("shell", "interactive"):
        assert re.search(rf"^{verb}: setup \$\(INDEX\) \$\(MODEL\)", makefile, re.M), verb
