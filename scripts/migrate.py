"""``python -m scripts.migrate``: old name of ``python -m channels.migrate`` (the one home of the
handoff database's migration step), still accepted with a warning."""
from __future__ import annotations

import sys
import warnings

from channels.migrate import main as _main

WARNING = "`python -m scripts.migrate` is deprecated: use `python -m channels.migrate` (same options)"


def main(argv: list[str] | None = None) -> int:
    warnings.warn(WARNING, FutureWarning, stacklevel=2)
    return _main(argv)


if __name__ == "__main__":
    sys.exit(main())
