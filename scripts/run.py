"""``make run``: start Rasa (:5005), the action server (:5055) and the gateway (:8000: web widget,
LINE webhook, officer console) on 127.0.0.1, wait until all answer, print the URLs, and keep them
up: a server that exits is started again (with back-off, logged) while the others keep serving.
Ctrl-C (or SIGTERM) stops all three.

Rasa's HTTP API (trackers, events, model routes) is closed by a random token made for each run (or
RASA_TOKEN if set); the gateway gets it, and it is written to <var-dir>/rasa_token (mode 0600) for
an operator's curl (``?token=…``). Everything listens on 127.0.0.1 only: the action server is
reachable from Rasa on this machine, not from the network.

Options (tests run a second copy on other ports): --rasa-port, --action-port, --gateway-port,
--var-dir, --log-dir (one log file per server instead of prefixed lines on stdout).
"""
from __future__ import annotations

import argparse
import os
import secrets
import sys
from pathlib import Path

from scripts.stack import Stack, StackConfig, serve


def parse_args(argv: list[str] | None = None) -> StackConfig:
    d = StackConfig()
    ap = argparse.ArgumentParser(prog="python -m scripts.run", description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", default=d.host)
    ap.add_argument("--rasa-port", type=int, default=d.rasa_port)
    ap.add_argument("--action-port", type=int, default=d.action_port)
    ap.add_argument("--gateway-port", type=int, default=d.gateway_port)
    ap.add_argument("--action-metrics-port", type=int, default=d.action_metrics_port,
                    help="the action server's Prometheus metrics (0: off)")
    ap.add_argument("--var-dir", type=Path, default=d.var_dir)
    ap.add_argument("--log-dir", type=Path, default=None)
    a = ap.parse_args(argv)
    token = os.environ.get("RASA_TOKEN") or secrets.token_urlsafe(32)   # a new one each run
    return StackConfig(host=a.host, rasa_port=a.rasa_port, action_port=a.action_port,
                       gateway_port=a.gateway_port, action_metrics_port=a.action_metrics_port, var_dir=a.var_dir,
                       log_dir=a.log_dir, rasa_token=token)


def write_token(cfg: StackConfig) -> Path:
    """The run's Rasa token, readable by this user only."""
    cfg.var_dir.mkdir(parents=True, exist_ok=True)
    path = cfg.var_dir / "rasa_token"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(cfg.rasa_token or "")
    os.chmod(path, 0o600)
    return path


def main(argv: list[str] | None = None) -> int:
    cfg = parse_args(argv)
    token_file = write_token(cfg)

    def banner() -> str:
        return (
            "\nThe assistant is running:\n"
            f"  Rasa REST     {cfg.rasa_url}/webhooks/rest/webhook\n"
            f"  action server {cfg.action_url}/health\n"
            f"  gateway       {cfg.gateway_url}/health\n"
            f"  web widget    {cfg.gateway_url}/          (demo page with the chat bubble)\n"
            f"  officer page  {cfg.gateway_url}/console   (accounts: make officer LOGIN=lin NAME=林專員)\n"
            f"  LINE webhook  {cfg.gateway_url}/line/webhook (needs LINE_CHANNEL_SECRET/ACCESS_TOKEN)\n"
            f"  Rasa's HTTP API needs ?token=<the token in {token_file}> (the REST channel does not)\n"
            "Try:\n"
            f"  curl -s {cfg.rasa_url}/webhooks/rest/webhook "
            "-d '{\"sender\":\"a\",\"message\":\"員工8人的製造業補助上限多少\"}'\n")

    return serve(Stack(cfg), banner=banner,
                 starting="Starting the action server, Rasa and the gateway (Rasa takes about a minute to load)…")


if __name__ == "__main__":
    sys.exit(main())
