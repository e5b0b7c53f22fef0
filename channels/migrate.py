"""Bring the handoff database up to date and exit: ``python -m channels.migrate`` (the Kubernetes
Job, compose's ``migrate`` service and ``make cluster`` run it; ``python -m scripts.migrate`` is its
old name, still accepted with a warning).

The gateway migrates at every start as well (idempotent, and safe with several gateways starting at
once: on PostgreSQL under an advisory lock); a deployment may run this as a separate step first. The
database is HANDOFF_DATABASE_URL, else handoff.db in HANDOFF_VAR_DIR / VAR_DIR (see .env.example).
"""
from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

from sqlalchemy.exc import OperationalError

from .core.store import Store
from .settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m channels.migrate", description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", "--url", default=None, help="[HANDOFF_DATABASE_URL]")
    parser.add_argument("--wait", type=float, default=60.0,
                        help="seconds to wait for the database to accept connections (compose, k8s)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    url = args.database_url or Settings.from_env().database_url
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    store = Store(url)
    deadline = time.monotonic() + args.wait
    try:
        while True:
            try:
                version = store.migrate()
                break
            except OperationalError as exc:          # the database is still starting
                if time.monotonic() > deadline:
                    print(f"migrate: database not reachable: {exc.orig}", file=sys.stderr)
                    return 1
                time.sleep(2)
    finally:
        store.dispose()
    print(f"handoff database at schema version {version} ({store.engine.url.render_as_string(hide_password=True)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
