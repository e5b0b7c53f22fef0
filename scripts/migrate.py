"""``python -m scripts.migrate``: the same as ``python -m channels.migrate`` (create or migrate the
handoff database once, before the gateways start; used by the Kubernetes Job, compose and
``make cluster``)."""
from __future__ import annotations

import sys

from channels.migrate import main

if __name__ == "__main__":
    sys.exit(main())
