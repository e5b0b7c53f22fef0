"""Start, watch and stop the assistant's three servers: Rasa, the action server and the gateway.

One place for the command lines, used by ``make run`` (scripts/run.py), ``make cluster``
(scripts/cluster.py), the conversation tests and the latency benchmark, so they all run the same thing.

``serve()`` is the one foreground loop of ``make run`` and ``make cluster``: start, supervise, wait
until ready, print where things are, keep running until Ctrl-C or SIGTERM, then stop everything.

Supervision (``Stack.supervise()``, used by ``make run`` and ``make cluster``): a server that exits is
started again after a back-off (1 s, doubling to 30 s; back to 1 s once it has run a minute), each
exit and restart logged; the other servers keep serving meanwhile. ``stop()`` ends the supervision
first, then every server.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
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
    action_metrics_port: int = 9155         # the action server's /metrics (0: not served)
    var_dir: Path = ROOT / "var"            # tracker database, effective endpoints file
    log_dir: Path | None = None             # None: stream prefixed logs to stdout
    model: Path = MODEL
    extra_env: dict[str, str] = field(default_factory=dict)
    # Rasa's HTTP API token (--auth-token; the gateway gets it as RASA_TOKEN). None: RASA_TOKEN from
    # the environment if set, else an open API (the tests' stack). ``make run`` sets a random one.
    rasa_token: str | None = None

    @property
    def rasa_url(self) -> str:
        return f"http://{self.host}:{self.rasa_port}"

    @property
    def action_url(self) -> str:
        return f"http://{self.host}:{self.action_port}"

    @property
    def gateway_url(self) -> str:
        return f"http://{self.host}:{self.gateway_port}"


def port_free(host: str, port: int) -> bool:
    """Whether a server could listen on host:port now (with SO_REUSEADDR, as servers bind: a port
    left in TIME_WAIT by a stopped server counts as free)."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


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
    if not db.exists():   # Rasa creates its tables in it; conversations are personal data: owner only
        db.touch(mode=0o600)
    for f in (db, db.with_name(db.name + "-journal")):
        if f.exists():
            f.chmod(0o600)
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
    if cfg.rasa_token:
        env["RASA_TOKEN"] = cfg.rasa_token
    endpoints = write_endpoints(cfg)
    return {
        "actions": (
            [str(APP_PYTHON), "-m", "rasa_sdk", "--actions", "actions", "-p", str(cfg.action_port)],
            {**env, "SANIC_HOST": cfg.host, "ACTION_METRICS_PORT": str(cfg.action_metrics_port)},
        ),
        "rasa": (
            [str(RASA_BIN), "run", "--enable-api", "-i", cfg.host, "-p", str(cfg.rasa_port),
             "--model", str(cfg.model), "--endpoints", str(endpoints),
             "--credentials", str(ROOT / "bot" / "credentials.yml"),
             # JSON-line logs linked to the gateway's request ids (LOG_FORMAT=text: Rasa's own format)
             *(["--logging-config-file", str(ROOT / "bot" / "logging.yml")]
               if env.get("LOG_FORMAT", "json").lower() == "json" else []),
             # the HTTP API (tracker events, used by the gateway on handoff) takes this token when set
             *(["--auth-token", env["RASA_TOKEN"]] if env.get("RASA_TOKEN") else [])],
            env,
        ),
        "gateway": (
            [str(APP_PYTHON), "-m", "uvicorn", "channels.app:app", "--host", cfg.host,
             "--port", str(cfg.gateway_port), "--log-level", "warning"],
            {"HANDOFF_VAR_DIR": str(cfg.var_dir), **env, "RASA_URL": cfg.rasa_url, "ACTION_SERVER_URL": cfg.action_url,
             **({"ACTION_METRICS_URL": f"http://{cfg.host}:{cfg.action_metrics_port}/metrics"}
                if cfg.action_metrics_port else {})},
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


def rasa_token(cfg: StackConfig) -> str | None:
    return cfg.rasa_token or cfg.extra_env.get("RASA_TOKEN") or os.environ.get("RASA_TOKEN") or None


def ready_checks(cfg: StackConfig) -> dict[str, Callable[[], bool]]:
    token = rasa_token(cfg)
    query = "?" + urllib.parse.urlencode({"token": token}) if token else ""

    def rasa() -> bool:
        status, body = _get(f"{cfg.rasa_url}/status{query}")
        return status == 200 and b'"model_file"' in body and b"hotline" in body

    return {
        "actions": lambda: _get(f"{cfg.action_url}/health")[0] == 200,
        "rasa": rasa,
        "gateway": lambda: _get(f"{cfg.gateway_url}/health")[0] in (200, 503),
    }


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


class Stack:
    def __init__(self, cfg: StackConfig, services: tuple[str, ...] = ("actions", "rasa", "gateway"), *,
                 backoff: tuple[float, float] = (1.0, 30.0), stable_s: float = 60.0,
                 max_start_failures: int = 3):
        self.cfg, self.services = cfg, services
        self.procs: dict[str, subprocess.Popen] = {}
        self._logs: list[TextIO] = []
        # supervision
        self.backoff, self.stable_s, self.max_start_failures = backoff, stable_s, max_start_failures
        self.restarts: dict[str, int] = {name: 0 for name in services}
        self.events: list[str] = []                 # exits and restarts, in order (also logged)
        self._started_at: dict[str, float] = {}
        self._delay: dict[str, float] = {}
        self._restart_at: dict[str, float] = {}
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None

    # the command lines and readiness checks; scripts/cluster.py supplies its own
    def commands(self) -> dict[str, tuple[list[str], dict[str, str]]]:
        return commands(self.cfg)

    def checks(self) -> dict[str, Callable[[], bool]]:
        return ready_checks(self.cfg)

    def listen_ports(self) -> dict[str, list[int]]:
        """The ports each server will listen on (checked free before ``start``)."""
        c = self.cfg
        ports = {"rasa": [c.rasa_port], "actions": [c.action_port] + ([c.action_metrics_port] if c.action_metrics_port else []),
                 "gateway": [c.gateway_port]}
        return {name: ports[name] for name in self.services if name in ports}

    @property
    def supervised(self) -> bool:
        return self._watcher is not None

    def _pump(self, name: str, stream) -> None:
        for line in iter(stream.readline, b""):
            sys.stdout.write(f"[{name:7}] {line.decode('utf-8', 'replace')}")
            sys.stdout.flush()

    def start(self) -> None:
        if not self.cfg.model.exists() and "rasa" in self.services:
            raise FileNotFoundError(f"no trained model at {self.cfg.model}: run `make train`")
        busy = [f"{name} {port}" for name, ports in self.listen_ports().items() for port in ports
                if not port_free(self.cfg.host, port)]
        if busy:   # a server that cannot bind may exit 0 (Rasa) and only say so in its log
            raise RuntimeError(f"port already in use, not starting: {', '.join(busy)}")
        cmds = self.commands()
        if self.cfg.log_dir is not None:
            self.cfg.log_dir.mkdir(parents=True, exist_ok=True)
            (self.cfg.log_dir / "supervisor.log").write_bytes(b"")
        for name in self.services:
            if self.cfg.log_dir is not None:  # a fresh log per run; restarts append
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
            log_path = self.cfg.log_dir / f"{name}.log"
            log = open(log_path, "ab")
            log_path.chmod(0o600)   # logs may quote users' messages
            self._logs.append(log)
            proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True)
        with self._lock:
            self.procs[name] = proc
            self._started_at[name] = time.monotonic()
        self._note(f"started {name} (pid {proc.pid})")

    # -- supervision
    def _note(self, text: str) -> None:
        line = f"{time.strftime('%H:%M:%S')} {text}"
        self.events.append(line)
        if self.cfg.log_dir is not None:
            self.cfg.log_dir.mkdir(parents=True, exist_ok=True)
            with open(self.cfg.log_dir / "supervisor.log", "a", encoding="utf-8") as f:
                f.write(line + "\n")
        else:
            sys.stdout.write(f"[{'supervise':7}] {text}\n")
            sys.stdout.flush()

    def supervise(self, poll_s: float = 0.5) -> None:
        """Keep every server up from now on (a background thread) until ``stop()``."""
        if self._watcher is None:
            self._watcher = threading.Thread(target=self._watch, args=(poll_s,), daemon=True,
                                             name="stack-supervisor")
            self._watcher.start()

    def _watch(self, poll_s: float) -> None:
        while not self._stopping.wait(poll_s):
            for name in self.services:
                try:
                    self._check_one(name)
                except Exception as exc:  # a failed restart (e.g. exec error) is retried later
                    self._note(f"could not restart {name}: {type(exc).__name__}: {exc}")
                    with self._lock:
                        self._restart_at[name] = time.monotonic() + self.backoff[1]

    def _check_one(self, name: str) -> None:
        with self._lock:
            if self._stopping.is_set():
                return
            proc = self.procs.get(name)
            if proc is None or proc.poll() is None:
                return
            now = time.monotonic()
            if name not in self._restart_at:
                ran = now - self._started_at.get(name, now)
                delay = self.backoff[0] if ran >= self.stable_s else self._delay.get(name, self.backoff[0])
                self._delay[name] = min(delay * 2, self.backoff[1])
                self._restart_at[name] = now + delay
                _kill_group(proc.pid)           # orphaned workers (Sanic) would hold the port
                self._note(f"{name} exited with code {proc.returncode} after {ran:.0f}s; "
                           f"restarting in {delay:g}s")
                return
            if now < self._restart_at[name]:
                return
            del self._restart_at[name]
            self.restarts[name] = self.restarts.get(name, 0) + 1
            self._start_one(name, self.commands()[name])

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Kill one server abruptly (tests of what survives a crash)."""
        proc = self.procs[name]
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        proc.wait(timeout=30)

    def restart(self, name: str, timeout: float = 120.0) -> None:
        """Start one server again after ``kill`` and wait until it is ready (under supervision:
        only wait, the supervisor starts it)."""
        if not self.supervised:
            self._start_one(name, self.commands()[name])
        checks = self.checks()
        t0 = time.monotonic()
        while not checks[name]():
            if not self.supervised and self.procs[name].poll() is not None:
                raise RuntimeError(f"{name} exited with code {self.procs[name].returncode}" + self._log_hint(name))
            if time.monotonic() - t0 > timeout:
                raise TimeoutError(f"{name} not ready after {timeout:.0f}s" + self._log_hint(name))
            time.sleep(0.3)

    def wait_ready(self, timeout: float = 300.0,
                   progress: Callable[[str], None] | None = None) -> None:
        checks = self.checks()
        pending = set(self.services)
        t0 = time.monotonic()
        last_note = 0.0
        while pending:
            for name in sorted(pending):
                proc = self.procs[name]
                if proc.poll() is not None and (not self.supervised
                                                or self.restarts.get(name, 0) >= self.max_start_failures):
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
        self._stopping.set()
        if self._watcher is not None:
            self._watcher.join(timeout=10)
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
                _kill_group(proc.pid)
                proc.wait()
            _kill_group(proc.pid)                   # workers left behind by a killed parent
        for log in self._logs:
            log.close()

    def __enter__(self) -> "Stack":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def _stop_on_sigterm(*_):
    raise KeyboardInterrupt()


def serve(stack: "Stack", *, starting: str, banner: Callable[[], str], ready_timeout: float = 300.0) -> int:
    """Run ``stack`` in the foreground (``make run``, ``make cluster``): start every server,
    supervise them, wait until all are ready (printing progress), print ``banner()``, then keep them up
    until Ctrl-C or SIGTERM; stop all of them whatever happens. Returns the process exit code."""
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    print(starting, flush=True)
    try:
        stack.start()
        stack.supervise()
        stack.wait_ready(timeout=ready_timeout, progress=lambda note: print(f"  … {note}", flush=True))
        print(banner() + "A server that stops is started again by itself. Press Ctrl-C to stop.\n",
              flush=True)
        while True:          # the supervisor thread keeps the servers up
            time.sleep(1)
    except KeyboardInterrupt:
        print("\nStopping…", flush=True)
        return 0
    except (RuntimeError, TimeoutError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        stack.stop()
