"""Gateway settings: one ``Settings`` (pydantic-settings), read from the environment and ``.env``.

Every variable is documented in .env.example. ``Settings.from_env()`` reads the process
environment, then the repository's ``.env`` (the environment wins); a bad value stops the start with
an error naming the variable. ``Settings(field=...)`` (tests, tools) takes only what it is given and
the defaults: it reads neither.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Callable, ClassVar, Literal

from pydantic import AliasChoices, Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from .core.hours import parse_hhmm, parse_holidays

ROOT = Path(__file__).resolve().parents[1]
ENV_FILE = ROOT / ".env"


def var_dir(value: str | None = None) -> Path:
    """This instance's data directory: the given value (HANDOFF_VAR_DIR, else VAR_DIR), else var/ in
    the checkout."""
    return Path(value).expanduser().resolve() if value else ROOT / "var"


def default_database_url(directory: str | None = None) -> str:
    """The handoff database when HANDOFF_DATABASE_URL is not set: handoff.db in this instance's data
    directory (two instances with their own data directory never share it)."""
    return f"sqlite:///{var_dir(directory) / 'handoff.db'}"


# text settings with a format: the parser the gateway applies later, and what it expects
FORMATS: dict[str, tuple[Callable[[str], object], str]] = {
    "office_open": (parse_hhmm, "HH:MM (e.g. 08:30)"),
    "office_close": (parse_hhmm, "HH:MM (e.g. 18:00)"),
    "office_holidays": (parse_holidays, "dates like 2027-01-01,2027-02-05"),
    "office_workdays": (parse_holidays, "dates like 2027-02-20 (make-up working days)"),
    "fake_now": (datetime.fromisoformat, "an ISO time like 2026-11-30T10:00:00+08:00"),
}


def _env(name: str, field: str) -> Any:
    """A field read from the variable ``name`` (and, for ``Settings(field=...)``, by its own name)."""
    return AliasChoices(name, field)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(frozen=True, extra="ignore", populate_by_name=True, env_file=None)
    _read_environment: ClassVar[bool] = False

    rasa_url: str = Field("http://127.0.0.1:5005", validation_alias=_env("RASA_URL", "rasa_url"))
    action_server_url: str = Field("http://127.0.0.1:5055",
                                   validation_alias=_env("ACTION_SERVER_URL", "action_server_url"))
    # health probes of Rasa and the action server
    upstream_timeout_s: float = Field(3.0, gt=0, validation_alias=_env("UPSTREAM_TIMEOUT_S", "upstream_timeout_s"))
    # the action server's metrics (actions/metrics.py), appended to the gateway's /metrics; "" = not read
    action_metrics_url: str = Field("", validation_alias=_env("ACTION_METRICS_URL", "action_metrics_url"))
    # json: one JSON object per log line (observe/logs.py); text: plain lines
    log_format: Literal["json", "text"] = Field("json", validation_alias=_env("LOG_FORMAT", "log_format"))
    # one user message through Rasa and the actions
    rasa_timeout_s: float = Field(30.0, gt=0, validation_alias=_env("RASA_TIMEOUT_S", "rasa_timeout_s"))
    rasa_token: str | None = Field(None, validation_alias=_env("RASA_TOKEN", "rasa_token"))
    # several Rasa replicas: comma-separated base URLs, each conversation on one (consistent hashing)
    rasa_urls: str = Field("", validation_alias=_env("RASA_URLS", "rasa_urls"))
    rasa_replica_retry_s: float = Field(5.0, gt=0, validation_alias=_env("RASA_REPLICA_RETRY_S", "rasa_replica_retry_s"))
    # this instance's files (the default SQLite handoff database): HANDOFF_VAR_DIR, else VAR_DIR
    var_dir: str = Field("", validation_alias=AliasChoices("HANDOFF_VAR_DIR", "VAR_DIR", "var_dir"))
    # "" = handoff.db in the data directory
    database_url: str = Field("", validation_alias=_env("HANDOFF_DATABASE_URL", "database_url"))
    # "" = the hotline's hours (knowledge/parameters.yml)
    office_open: str = Field("", validation_alias=_env("OFFICE_OPEN", "office_open"))
    office_close: str = Field("", validation_alias=_env("OFFICE_CLOSE", "office_close"))
    office_holidays: str = Field("", validation_alias=_env("OFFICE_HOLIDAYS", "office_holidays"))
    office_workdays: str = Field("", validation_alias=_env("OFFICE_WORKDAYS", "office_workdays"))
    fake_now: str | None = Field(None, validation_alias=_env("HANDOFF_FAKE_NOW", "fake_now"))  # tests, demos
    # said until waits are measured; None: no figure
    typical_wait_minutes: int | None = Field(None, gt=0, validation_alias=_env("HANDOFF_TYPICAL_WAIT_MINUTES",
                                                                              "typical_wait_minutes"))
    session_hours: float = Field(10.0, gt=0, validation_alias=_env("CONSOLE_SESSION_HOURS", "session_hours"))
    cookie_secure: bool = Field(False, validation_alias=_env("CONSOLE_COOKIE_SECURE", "cookie_secure"))
    line_channel_secret: str = Field("", validation_alias=_env("LINE_CHANNEL_SECRET", "line_channel_secret"))
    line_channel_access_token: str = Field("", validation_alias=_env("LINE_CHANNEL_ACCESS_TOKEN",
                                                                     "line_channel_access_token"))
    line_api_base: str = Field("https://api.line.me", validation_alias=_env("LINE_API_BASE", "line_api_base"))
    # for the widget snippet; "" = same origin
    public_base_url: str = Field("", validation_alias=_env("PUBLIC_BASE_URL", "public_base_url"))
    assist_enabled: bool = Field(True, validation_alias=_env("AGENT_ASSIST", "assist_enabled"))
    # widget messages per minute per conversation, per client address (0: off; set it in the proxy too)
    widget_rate_per_session: int = Field(20, ge=0, validation_alias=_env("WIDGET_RATE_PER_SESSION",
                                                                         "widget_rate_per_session"))
    widget_rate_per_address: int = Field(120, ge=0, validation_alias=_env("WIDGET_RATE_PER_ADDRESS",
                                                                          "widget_rate_per_address"))

    # open handoff tickets of widget conversations from one client address (0: no cap)
    handoff_open_per_address: int = Field(3, ge=0, validation_alias=_env("HANDOFF_OPEN_PER_ADDRESS",
                                                                         "handoff_open_per_address"))
    # serve /docs, /redoc and /openapi.json (off in production; `python -m channels.openapi` prints it)
    api_docs: bool = Field(False, validation_alias=_env("API_DOCS", "api_docs"))

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any, info: ValidationInfo) -> Any:
        """An empty variable (``RASA_TOKEN=``) means the default, as it always has."""
        if isinstance(value, str) and not value.strip():
            field = cls.model_fields[info.field_name]
            return field.get_default(call_default_factory=True)
        return value

    @model_validator(mode="after")
    def _database_in_data_directory(self) -> "Settings":
        """HANDOFF_DATABASE_URL unset: handoff.db in this instance's data directory."""
        if not self.database_url:
            object.__setattr__(self, "database_url", default_database_url(self.var_dir or None))
        return self

    @field_validator("rasa_url", "action_server_url", "line_api_base", "public_base_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.strip().rstrip("/")

    @field_validator(*FORMATS)
    @classmethod
    def _well_formed(cls, value: str | None, info: ValidationInfo) -> str | None:
        parse, expected = FORMATS[info.field_name]
        if value:
            try:
                parse(value)
            except ValueError:
                raise ValueError(f"expected {expected}, got {value!r}") from None
        return value

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource,
                                   dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource,
                                   ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Only the values given, unless read ``from_env`` (then the environment, then ``.env``)."""
        if cls._read_environment:
            return (init_settings, env_settings, dotenv_settings)
        return (init_settings,)

    @classmethod
    def from_env(cls, env_file: Path | None = ENV_FILE) -> "Settings":
        """The settings of this process: environment variables, then ``env_file`` (if it exists)."""
        try:
            read = _FromEnvironment(_env_file=env_file if env_file and env_file.exists() else None)
            return cls(**read.model_dump())   # a plain Settings, equal to one built with the same values
        except ValidationError as exc:
            raise SettingsError(exc) from None


class _FromEnvironment(Settings):
    _read_environment: ClassVar[bool] = True
    model_config = SettingsConfigDict(env_file_encoding="utf-8")


class SettingsError(ValueError):
    """A setting with a bad value; the message names each variable and what it expects."""

    def __init__(self, exc: ValidationError):
        lines = [f"{'.'.join(str(p) for p in err['loc']) or '?'}={err.get('input')!r}: {err['msg']}"
                 for err in exc.errors()]
        super().__init__("bad gateway setting(s) (see .env.example):\n  " + "\n  ".join(lines))
