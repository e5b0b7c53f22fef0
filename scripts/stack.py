"""Start, watch and stop the assistant's three servers: Rasa, the action server and the gateway.

One place for the command lines, used by ``make run`` (scripts/run.py), the conversation tests
and the latency benchmark, so they all run the same thing.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, TextIO

ROOT = Path(__file__).resolve().parents[1]
RASA_BIN = ROOT / ".venv" / "rasa" / "bin" / "rasa"
APP_PYTHON = ROOT / ".venv" / "app" / "bin" / "python"
MODEL = ROOT / "bot" / "models" / "hotline.tar.gz"


@dataclass
class StackConfig:
    host: str = "127.0.0.1"
    rasa_port: int = 5005
    action_port: int = 5055
    gateway_port: int = 8000
    var_dir: Path = ROOT / "var"            # tracker database, effective endpoints file
    log_dir: Path | None = None             # None: stream prefixed logs to stdout
    model: Path = MODEL
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def rasa_url(self) -> str:
        return f"http://{self.host}:{self.rasa_port}"

    @property
    def action_url(self) -> str:
        return f"http://{self.host}:{self.action_port}"

    @property
    def gateway_url(self) -> str:
        return f"http://{self.host}:{self.gateway_port}"


def _base_env(cfg: StackConfig) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "RASA_TELEMETRY_ENABLED": "false",
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "bot")]),
        "PYTHONUNBUFFERED": "1",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    })
    env.update(cfg.extra_env)
    return env


def write_endpoints(cfg: StackConfig) -> Path:
    """The effective endpoints file: bot/endpoints.yml's embedded defaults with this run's ports."""
    cfg.var_dir.mkdir(parents=True, exist_ok=True)
    path = cfg.var_dir / "endpoints.yml"
    db = (cfg.var_dir / "rasa_tracker.db").resolve()
    path.write_text(
        "# written by scripts/stack.py from bot/endpoints.yml's defaults\n"
        f'action_endpoint:\n  url: "{cfg.action_url}/webhook"\n'
        f'tracker_store:\n  type: SQL\n  dialect: "sqlite"\n  db: "{db}"\n'
        "lock_store:\n  type: in_memory\n",
        "utf-8",
    )
    return path


def commands(cfg: StackConfig) -> dict[str, tuple[list[str], dict[str, str]]]:
    env = _base_env(cfg)
    endpoints = write_endpoints(cfg)
    return {
        "actions": (
            [str(APP_PYTHON), "-m", "rasa_sdk", "--actions", "actions", "-p", str(cfg.action_port)],
            {**env, "SANIC_HOST": cfg.host},
        ),
        "rasa": (
            [str(RASA_BIN), "run", "--enable-api", "-i", cfg.host, "-p", str(cfg.rasa_port),
             "--model", str(cfg.model), "--endpoints", str(endpoints),
             "--credentials", str(ROOT / "bot" / "credentials.yml"),
             # the HTTP API (tracker events, used by the gateway on handoff) takes this token when set
             *(["--auth-token", env["RASA_TOKEN"]] if env.get("RASA_TOKEN") else [])],
            env,
        ),
        "gateway": (
            [str(APP_PYTHON), "-m", "uvicorn", "channels.app:app", "--host", cfg.host,
             "--port", str(cfg.gateway_port), "--log-level", "warning"],
            {**env, "RASA_URL": cfg.rasa_url, "ACTION_SERVER_URL": cfg.action_url},
        ),
    }


def _get(url: str, timeout: float = 2.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except (urllib.error.URLError, OSError):
        return 0, b""


def ready_checks(cfg: StackConfig) -> dict[str, Callable[[], bool]]:
    def rasa() -> bool:
        status, body = _get(f"{cfg.rasa_url}/status")
        return status == 200 and b'"model_file"' in body and b"hotline" in body

    return {
        "actions": lambda: _get(f"{cfg.action_url}/health")[0] == 200,
        "rasa": rasa,
        "gateway": lambda: _get(f"{cfg.gateway_url}/health")[0] in (200, 503),
    }


class Stack:
    def __init__(self, cfg: StackConfig, services: tuple[str, ...] = ("actions", "rasa", "gateway")):
        self.cfg, self.services = cfg, services
        self.procs: dict[str, subprocess.Popen] = {}
        self._logs: list[TextIO] = []

    def _pump(self, name: str, stream) -> None:
        for line in iter(stream.readline, b""):
            sys.stdout.write(f"[{name:7}] {line.decode('utf-8', 'replace')}")
            sys.stdout.flush()

    def start(self) -> None:
        if not self.cfg.model.exists() and "rasa" in self.services:
            raise FileNotFoundError(f"no trained model at {self.cfg.model}: run `make train`")
        cmds = commands(self.cfg)
        for name in self.services:
            if self.cfg.log_dir is not None:  # a fresh log per run; restarts append
                self.cfg.log_dir.mkdir(parents=True, exist_ok=True)
                (self.cfg.log_dir / f"{name}.log").write_bytes(b"")
            self._start_one(name, cmds[name])

    def _start_one(self, name: str, cmd: tuple[list[str], dict[str, str]]) -> None:
        argv, env = cmd
        if self.cfg.log_dir is None:
            proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, start_new_session=True)
            threading.Thread(target=self._pump, args=(name, proc.stdout), daemon=True).start()
        else:
            self.cfg.log_dir.mkdir(parents=True, exist_ok=True)
            log = open(self.cfg.log_dir / f"{name}.log", "ab")
            self._logs.append(log)
            proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True)
        self.procs[name] = proc

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Kill one server abruptly (tests of what survives a crash)."""
        proc = self.procs[name]
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        proc.wait(timeout=30)

    def restart(self, name: str, timeout: float = 120.0) -> None:
        """Start one server again after ``kill`` and wait until it is ready."""
        self._start_one(name, commands(self.cfg)[name])
        checks = ready_checks(self.cfg)
        t0 = time.monotonic()
        while not checks[name]():
            if self.procs[name].poll() is not None:
                raise RuntimeError(f"{name} exited with code {self.procs[name].returncode}" + self._log_hint(name))
            if time.monotonic() - t0 > timeout:
                raise TimeoutError(f"{name} not ready after {timeout:.0f}s" + self._log_hint(name))
            time.sleep(0.3)

    def wait_ready(self, timeout: float = 300.0,
                   progress: Callable[[str], None] | None = None) -> None:
        checks = ready_checks(self.cfg)
        pending = set(self.services)
        t0 = time.monotonic()
        last_note = 0.0
        while pending:
            for name in sorted(pending):
                proc = self.procs[name]
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited with code {proc.returncode} before it was ready"
                                       + self._log_hint(name))
                if checks[name]():
                    pending.discard(name)
                    if progress:
                        progress(f"{name} ready after {time.monotonic() - t0:.0f}s")
            elapsed = time.monotonic() - t0
            if pending and elapsed > timeout:
                raise TimeoutError(f"not ready after {timeout:.0f}s: {', '.join(sorted(pending))}"
                                   + "".join(self._log_hint(n) for n in pending))
            if pending and progress and elapsed - last_note >= 15:
                last_note = elapsed
                progress(f"waiting for {', '.join(sorted(pending))} ({elapsed:.0f}s)")
            time.sleep(0.5)

    def _log_hint(self, name: str) -> str:
        if self.cfg.log_dir is None:
            return ""
        path = self.cfg.log_dir / f"{name}.log"
        tail = path.read_text("utf-8", "replace").splitlines()[-15:] if path.exists() else []
        return f"\n--- last lines of {path} ---\n" + "\n".join(tail)

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + 15
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        for log in self._logs:
            log.close()

    def __enter__(self) -> "Stack":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
