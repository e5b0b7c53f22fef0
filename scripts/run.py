"""``make run``: start Rasa (:5005), the action server (:5055) and the gateway (:8000: web widget,
LINE webhook, officer console) on 127.0.0.1, wait until all answer, print the URLs; Ctrl-C stops
all three."""
from __future__ import annotations

import signal
import sys
import time

from scripts.stack import Stack, StackConfig


def main() -> int:
    cfg = StackConfig()
    stack = Stack(cfg)
    print("Starting the action server, Rasa and the gateway (Rasa takes about a minute to load)…",
          flush=True)
    stack.start()
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        stack.wait_ready(progress=lambda note: print(f"  … {note}", flush=True))
        print(
            "\nThe assistant is running:\n"
            f"  Rasa REST     {cfg.rasa_url}/webhooks/rest/webhook\n"
            f"  action server {cfg.action_url}/health\n"
            f"  gateway       {cfg.gateway_url}/health\n"
            f"  web widget    {cfg.gateway_url}/          (demo page with the chat bubble)\n"
            f"  officer page  {cfg.gateway_url}/console   (accounts: make officer LOGIN=lin NAME=林專員)\n"
            f"  LINE webhook  {cfg.gateway_url}/line/webhook (needs LINE_CHANNEL_SECRET/ACCESS_TOKEN)\n"
            "Try:\n"
            f"  curl -s {cfg.rasa_url}/webhooks/rest/webhook "
            "-d '{\"sender\":\"a\",\"message\":\"員工8人的製造業補助上限多少\"}'\n"
            "Press Ctrl-C to stop.\n", flush=True)
        while all(p.poll() is None for p in stack.procs.values()):
            time.sleep(1)
        dead = [n for n, p in stack.procs.items() if p.poll() is not None]
        print(f"stopped: {', '.join(dead)} exited", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopping…", flush=True)
        return 0
    except (RuntimeError, TimeoutError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
