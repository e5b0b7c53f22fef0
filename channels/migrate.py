"""Bring the handoff database up to date and exit: ``python -m channels.migrate``.

The gateway migrates at every start as well (idempotent, safe with several gateways starting at
once); a deployment may run this as a separate step first (e.g. a Kubernetes Job). The database is
HANDOFF_DATABASE_URL, else handoff.db in HANDOFF_VAR_DIR / VAR_DIR (see .env.example).
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from .core.store import Store
from .settings import default_database_url


def main(argv: list[str] | None = None) -> int:
    import os

    parser = argparse.ArgumentParser(prog="python -m channels.migrate", description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("HANDOFF_DATABASE_URL") or default_database_url())
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    url = args.database_url
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    store = Store(url)
    try:
        version = store.migrate()
    finally:
        store.dispose()
    print(f"handoff database at schema version {version}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
