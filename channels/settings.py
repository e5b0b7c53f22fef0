"""Gateway settings, from the environment (documented in .env.example)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def var_dir() -> Path:
    """This instance's data directory: HANDOFF_VAR_DIR, else VAR_DIR, else var/ in the checkout."""
    value = os.environ.get("HANDOFF_VAR_DIR") or os.environ.get("VAR_DIR")
    return Path(value).expanduser().resolve() if value else ROOT / "var"


def default_database_url() -> str:
    """The handoff database when HANDOFF_DATABASE_URL is not set: handoff.db in this instance's data
    directory (two instances with their own VAR_DIR never share it)."""
    return f"sqlite:///{var_dir() / 'handoff.db'}"


_default_db = default_database_url   # the old name


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Settings:
    rasa_url: str = "http://127.0.0.1:5005"
    action_server_url: str = "http://127.0.0.1:5055"
    upstream_timeout_s: float = 3.0             # health probes
    rasa_timeout_s: float = 30.0                # one user message through Rasa and the actions
    rasa_token: str | None = None
    database_url: str = ""
    office_open: str = ""                       # "" = the hotline's hours (knowledge/parameters.yml)
    office_close: str = ""
    office_holidays: str = ""
    fake_now: str | None = None                 # tests and demos only
    typical_wait_minutes: int | None = None     # said until waits are measured; None: no figure
    session_hours: float = 10.0
    cookie_secure: bool = False
    line_channel_secret: str = ""
    line_channel_access_token: str = ""
    line_api_base: str = "https://api.line.me"
    public_base_url: str = ""                   # for the widget snippet; "" = same origin
    assist_enabled: bool = True
    widget_rate_per_session: int = 20           # widget messages per minute per conversation (0: off)
    widget_rate_per_address: int = 120          # ... per client address (0: off; set it in the proxy too)

    @classmethod
    def from_env(cls) -> "Settings":
        e = os.environ.get
        return cls(
            rasa_url=e("RASA_URL", "http://127.0.0.1:5005").rstrip("/"),
            action_server_url=e("ACTION_SERVER_URL", "http://127.0.0.1:5055").rstrip("/"),
            upstream_timeout_s=float(e("UPSTREAM_TIMEOUT_S", "3")),
            rasa_timeout_s=float(e("RASA_TIMEOUT_S", "30")),
            rasa_token=e("RASA_TOKEN") or None,
            database_url=e("HANDOFF_DATABASE_URL") or default_database_url(),
            office_open=e("OFFICE_OPEN", ""),
            office_close=e("OFFICE_CLOSE", ""),
            office_holidays=e("OFFICE_HOLIDAYS", ""),
            fake_now=e("HANDOFF_FAKE_NOW") or None,
            typical_wait_minutes=int(e("HANDOFF_TYPICAL_WAIT_MINUTES")) if e("HANDOFF_TYPICAL_WAIT_MINUTES") else None,
            session_hours=float(e("CONSOLE_SESSION_HOURS", "10")),
            cookie_secure=_bool(e("CONSOLE_COOKIE_SECURE"), False),
            line_channel_secret=e("LINE_CHANNEL_SECRET", ""),
            line_channel_access_token=e("LINE_CHANNEL_ACCESS_TOKEN", ""),
            line_api_base=e("LINE_API_BASE", "https://api.line.me").rstrip("/"),
            public_base_url=e("PUBLIC_BASE_URL", "").rstrip("/"),
            assist_enabled=_bool(e("AGENT_ASSIST"), True),
            widget_rate_per_session=int(e("WIDGET_RATE_PER_SESSION", "20")),
            widget_rate_per_address=int(e("WIDGET_RATE_PER_ADDRESS", "120")),
        )
