"""Rasa's own tools with what they need around them: ``make shell``, ``make interactive``.

    python -m scripts.rasa_tools shell         talk to the bot in this terminal
    python -m scripts.rasa_tools interactive   rasa interactive (correct the bot, write stories)

Both start the action server first (the answers come from it), with the repository on PYTHONPATH
(the tokenizer component and the actions import knowledge/), point Rasa at it through an
endpoints file written under ``var/tools/`` (its own SQLite tracker store: the running service's
conversations are untouched), and stop the action server when Rasa exits (Ctrl-C or /stop).
Ports: ``--action-port`` (default 5056) and ``--rasa-port`` (default 5006) so ``make run`` can keep
running alongside.
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path

from scripts.stack import MODEL, RASA_BIN, ROOT, Stack, StackConfig, _base_env, write_endpoints

BOT = ROOT / "bot"


def rasa_command(tool: str, cfg: StackConfig, endpoints: Path, rasa_port: int) -> list[str]:
    common = ["--model", str(cfg.model), "--endpoints", str(endpoints), "-p", str(rasa_port)]
    if tool == "shell":
        return [str(RASA_BIN), "shell", *common]
    # interactive: the model given is used as is (no training first); new stories go to data/
    return [str(RASA_BIN), "interactive", *common, "--skip-visualization",
            "--domain", str(BOT / "domain.yml"), "--data", str(BOT / "data"), "--config", str(BOT / "config.yml")]


def _stop_on_sigterm(*_):
    raise KeyboardInterrupt()


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _stop_on_sigterm)   # a plain kill also stops the action server
    ap = argparse.ArgumentParser(prog="python -m scripts.rasa_tools", description=__doc__.split("\n\n")[0])
    ap.add_argument("tool", choices=["shell", "interactive"])
    ap.add_argument("--action-port", type=int, default=5056)
    ap.add_argument("--rasa-port", type=int, default=5006)
    ap.add_argument("--var-dir", type=Path, default=ROOT / "var" / "tools")
    a = ap.parse_args(argv)
    if not MODEL.exists():
        print(f"no trained model at {MODEL}: run `make train` first", file=sys.stderr)
        return 2
    cfg = StackConfig(action_port=a.action_port, action_metrics_port=0, var_dir=a.var_dir,
                      log_dir=a.var_dir / "logs", extra_env={"LOG_FORMAT": "text"})
    endpoints = write_endpoints(cfg)
    actions = Stack(cfg, services=("actions",))
    print(f"==> starting the action server on :{cfg.action_port} (log: {cfg.log_dir / 'actions.log'})", flush=True)
    actions.start()
    try:
        actions.wait_ready(timeout=300)
        env = {**_base_env(cfg), "LOG_FORMAT": "text"}
        print(f"==> rasa {a.tool} (Ctrl-C or /stop to leave)", flush=True)
        proc = subprocess.Popen(rasa_command(a.tool, cfg, endpoints, a.rasa_port), cwd=BOT, env=env)
        try:
            return proc.wait()
        except KeyboardInterrupt:
            proc.send_signal(signal.SIGINT)
            try:
                return proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                return proc.wait()
    finally:
        actions.stop()
        print("==> action server stopped", flush=True)


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
