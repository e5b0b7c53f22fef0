"""Create or migrate the handoff database, once, before the gateways start:
``python -m scripts.migrate`` (``HANDOFF_DATABASE_URL``, or ``--url``).

Several gateways starting together on an empty PostgreSQL raced on the schema (issue 12 §7); with
this run as a separate step (the Kubernetes migration Job, ``make cluster``, compose's ``migrate``
service) the gateways find the schema in place and their own start-up migrate() has nothing to do.
Safe to run again: ``Store.migrate`` applies only the steps a database has not had.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from sqlalchemy.exc import OperationalError

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    from channels.core.store import Store

    ap = argparse.ArgumentParser(prog="python -m scripts.migrate", description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", default=None, help="[HANDOFF_DATABASE_URL]")
    ap.add_argument("--wait", type=float, default=60.0, help="seconds to wait for the database to accept connections")
    args = ap.parse_args(argv)
    url = args.url or os.environ.get("HANDOFF_DATABASE_URL") or f"sqlite:///{ROOT / 'var' / 'handoff.db'}"
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    store = Store(url)
    deadline = time.monotonic() + args.wait
    while True:
        try:
            version = store.migrate()
            break
        except OperationalError as exc:          # the database is still starting (compose, k8s)
            if time.monotonic() > deadline:
                print(f"migrate: database not reachable: {exc.orig}", file=sys.stderr)
                return 1
            time.sleep(2)
    store.dispose()
    print(f"handoff schema at version {version} ({store.engine.url.render_as_string(hide_password=True)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
