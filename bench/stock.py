"""A stock ``rasa init`` bot for side-by-side load (issue 14): built once, cached, started on a spare port.

``rasa init --no-prompt`` (Rasa's own starter project: English moodbot, default pipeline with DIET and
TED, no custom actions) is run with the same Rasa as ours (.venv/rasa) into ``build/stock-rasa/``
(ignored by git). ``rasa init`` trains the model itself; it needs no network (checked by running it in
a network namespace without interfaces: ``unshare -rn``). The trained model is re-used as long as one
is there; delete ``build/stock-rasa/`` to rebuild it (a few minutes on two cores).

Served like the issue's reference: ``rasa run`` with the REST channel, the default (in-memory) tracker
store, no action server (its HTTP API on, for the bench's history check, as ours).

    .venv/app/bin/python -m bench.stock            # build (or find) the stock bot and print its model
"""
from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RASA_BIN = ROOT / ".venv" / "rasa" / "bin" / "rasa"
STOCK_DIR = ROOT / "build" / "stock-rasa"

# texts of the starter project's own intents (data/nlu.yml of rasa init): greet, mood, goodbye, bot
# challenge — the stock bot answers each with its utter_ responses and stories
STOCK_TEXTS = [
    "hi", "hello there", "good morning", "hey", "I am feeling great", "I'm good", "I am very happy",
    "I am sad", "not good", "I'm unhappy", "yes", "of course", "no", "never", "bye", "goodbye",
    "see you later", "are you a bot?", "am I talking to a human?", "good evening",
]


def stock_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update({"RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONUNBUFFERED": "1",
                "SQLALCHEMY_SILENCE_UBER_WARNING": "1"})
    env.pop("PYTHONPATH", None)   # nothing of ours on the stock bot's path
    return env


def cached_model(directory: Path = STOCK_DIR) -> Path | None:
    models = sorted((directory / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return models[-1] if models else None


def ensure_stock_model(directory: Path = STOCK_DIR, *, log=print, timeout: float = 3600) -> Path:
    """The stock bot's trained model: the cached one, or ``rasa init --no-prompt`` (scaffold + train) once."""
    model = cached_model(directory)
    if model is not None:
        log(f"stock rasa init bot: cached model {model.relative_to(ROOT) if model.is_relative_to(ROOT) else model}")
        return model
    if directory.exists():          # an interrupted build: start again from an empty directory
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    log(f"stock rasa init bot: building it once in {directory} (rasa init --no-prompt: trains, a few minutes)")
    t0 = time.perf_counter()
    logfile = directory.parent / "stock-rasa-init.log"
    with open(logfile, "wb") as out:
        subprocess.run([str(RASA_BIN), "init", "--no-prompt", "--init-dir", str(directory)], cwd=directory,
                       env=stock_env(), stdout=out, stderr=subprocess.STDOUT, check=True, timeout=timeout)
    model = cached_model(directory)
    if model is None:
        raise RuntimeError(f"rasa init left no model in {directory / 'models'} (see {logfile})")
    log(f"stock rasa init bot: trained in {time.perf_counter() - t0:.0f} s: {model}")
    return model


def stock_command(model: Path, port: int, host: str = "127.0.0.1") -> list[str]:
    # --enable-api: the bench reads each conversation's tracker back (the history check), as for ours
    return [str(RASA_BIN), "run", "--enable-api", "-i", host, "-p", str(port), "--model", str(model),
            "--credentials", str(model.parents[1] / "credentials.yml")]


class StockBot:
    """``rasa run`` of the stock bot: REST channel, in-memory tracker, no action server."""

    def __init__(self, model: Path, port: int, log_dir: Path) -> None:
        self.model, self.port, self.log_dir = model, port, log_dir
        self.proc: subprocess.Popen | None = None
        self.url = f"http://127.0.0.1:{port}"

    def start(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_dir / "stock-rasa.log", "wb")
        # the model's directory holds the project's credentials.yml (rest: on) and no endpoints.yml:
        # run from a directory without an endpoints.yml so no action server or tracker store is configured
        self.proc = subprocess.Popen(stock_command(self.model, self.port), cwd=self.log_dir, env=stock_env(),
                                     stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()

    def ready(self) -> bool:
        import urllib.request
        try:
            with urllib.request.urlopen(f"{self.url}/", timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    def wait_ready(self, timeout: float = 600) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"stock rasa exited ({self.proc.returncode}); see {self.log_dir / 'stock-rasa.log'}")
            if self.ready() and self._answers():
                return
            time.sleep(1)
        raise TimeoutError("stock rasa not ready")

    def _answers(self) -> bool:
        """Rasa's / answers before the model is loaded; the REST channel answering means it is."""
        import json
        import urllib.request
        req = urllib.request.Request(f"{self.url}/webhooks/rest/webhook", method="POST",
                                     data=json.dumps({"sender": "stock-ready-probe", "message": "hi"}).encode(),
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status == 200 and bool(json.loads(r.read() or b"[]"))
        except (OSError, ValueError):
            return False

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            import signal
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=30)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:   # Rasa did not stop within 30 s of SIGTERM (a loaded machine): kill it
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(timeout=30)


if __name__ == "__main__":
    print(ensure_stock_model())
