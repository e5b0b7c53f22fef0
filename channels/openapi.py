"""Print the gateway's OpenAPI schema (widget, LINE webhook and console routes) as JSON.

The running gateway serves ``/openapi.json`` only with ``API_DOCS=true`` (issue 13: no public API
description in production); this prints the same schema without a server:
``python -m channels.openapi > openapi.json``.
"""
from __future__ import annotations

import json
import sys

from .app import create_app
from .settings import Settings


def schema() -> dict:
    settings = Settings.from_env().model_copy(update={"api_docs": True})
    app = create_app(settings)
    return app.openapi()


def main() -> None:
    json.dump(schema(), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
