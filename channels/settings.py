"""Gateway settings, from the environment (documented in .env.example)."""
from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    rasa_url: str
    action_server_url: str
    upstream_timeout_s: float

    @classmethod
    def from_env(cls) -> "Settings":
        return cls(
            rasa_url=os.environ.get("RASA_URL", "http://127.0.0.1:5005").rstrip("/"),
            action_server_url=os.environ.get("ACTION_SERVER_URL", "http://127.0.0.1:5055").rstrip("/"),
            upstream_timeout_s=float(os.environ.get("UPSTREAM_TIMEOUT_S", "3")),
        )
