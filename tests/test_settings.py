"""Gateway settings: every variable of .env.example is read, ``.env`` too, and a bad value is named."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from channels.settings import Settings, SettingsError

ROOT = Path(__file__).resolve().parents[1]

# one value per gateway variable documented in .env.example, and the field it must reach
VALUES = {
    "RASA_URL": ("http://rasa.internal:5005/", "rasa_url", "http://rasa.internal:5005"),
    "ACTION_SERVER_URL": ("http://actions:5055", "action_server_url", "http://actions:5055"),
    "UPSTREAM_TIMEOUT_S": ("4.5", "upstream_timeout_s", 4.5),
    "RASA_TIMEOUT_S": ("45", "rasa_timeout_s", 45.0),
    "RASA_TOKEN": ("s3cret", "rasa_token", "s3cret"),
    "HANDOFF_DATABASE_URL": ("postgresql+psycopg2://h@db/h", "database_url", "postgresql+psycopg2://h@db/h"),
    "OFFICE_OPEN": ("08:30", "office_open", "08:30"),
    "OFFICE_CLOSE": ("17:30", "office_close", "17:30"),
    "OFFICE_HOLIDAYS": ("2027-01-01,2027-02-05", "office_holidays", "2027-01-01,2027-02-05"),
    "HANDOFF_TYPICAL_WAIT_MINUTES": ("15", "typical_wait_minutes", 15),
    "CONSOLE_SESSION_HOURS": ("8", "session_hours", 8.0),
    "CONSOLE_COOKIE_SECURE": ("true", "cookie_secure", True),
    "AGENT_ASSIST": ("false", "assist_enabled", False),
    "HANDOFF_FAKE_NOW": ("2026-11-30T10:00:00+08:00", "fake_now", "2026-11-30T10:00:00+08:00"),
    "LINE_CHANNEL_SECRET": ("sec", "line_channel_secret", "sec"),
    "LINE_CHANNEL_ACCESS_TOKEN": ("tok", "line_channel_access_token", "tok"),
    "LINE_API_BASE": ("http://127.0.0.1:9/", "line_api_base", "http://127.0.0.1:9"),
    "WIDGET_RATE_PER_SESSION": ("5", "widget_rate_per_session", 5),
    "WIDGET_RATE_PER_ADDRESS": ("0", "widget_rate_per_address", 0),
    "HANDOFF_OPEN_PER_ADDRESS": ("0", "handoff_open_per_address", 0),
    "API_DOCS": ("true", "api_docs", True),
    "PUBLIC_BASE_URL": ("https://hotline.example.gov.tw/", "public_base_url", "https://hotline.example.gov.tw"),
    "OFFICE_WORKDAYS": ("2026-02-21", "office_workdays", "2026-02-21"),
    "RASA_URLS": ("http://a:5005,http://b:5005", "rasa_urls", "http://a:5005,http://b:5005"),
    "RASA_REPLICA_RETRY_S": ("7", "rasa_replica_retry_s", 7.0),
    "HANDOFF_VAR_DIR": ("/srv/hotline/gw1/var", "var_dir", "/srv/hotline/gw1/var"),
    "ACTION_METRICS_URL": ("http://actions:9155/metrics", "action_metrics_url", "http://actions:9155/metrics"),
    "LOG_FORMAT": ("text", "log_format", "text"),
}


def gateway_variables() -> set[str]:
    """The variables .env.example documents for the gateway (its gateway, handoff and LINE sections)."""
    text = (ROOT / ".env.example").read_text("utf-8")
    found: set[str] = set()
    section = ""
    for line in text.splitlines():
        if line.startswith("# ---"):
            section = line
        elif "gateway" in section:
            found |= set(re.findall(r"(?:^#|\s)\s*([A-Z][A-Z0-9_]+)=", line))
    return found


@pytest.fixture
def clean_env(monkeypatch):
    for name in VALUES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_every_documented_variable_is_read(clean_env, tmp_path):
    assert gateway_variables() == set(VALUES)
    for name, (raw, _, _) in VALUES.items():
        clean_env.setenv(name, raw)
    s = Settings.from_env(tmp_path / "no.env")
    assert {field: getattr(s, field) for _, field, _ in VALUES.values()} == \
        {field: want for _, field, want in VALUES.values()}


def test_defaults_and_blank_variables(clean_env, tmp_path):
    clean_env.setenv("RASA_TOKEN", "")
    clean_env.setenv("HANDOFF_TYPICAL_WAIT_MINUTES", "")
    s = Settings.from_env(tmp_path / "no.env")
    assert s == Settings()
    assert s.rasa_token is None and s.typical_wait_minutes is None and s.assist_enabled is True
    assert s.database_url.startswith("sqlite:///") and s.database_url.endswith("var/handoff.db")


def test_dot_env_is_read_and_the_environment_wins(clean_env, tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("RASA_URL=http://from-dotenv:5005\nWIDGET_RATE_PER_SESSION=7\n", "utf-8")
    clean_env.setenv("WIDGET_RATE_PER_SESSION", "9")
    s = Settings.from_env(env_file)
    assert s.rasa_url == "http://from-dotenv:5005" and s.widget_rate_per_session == 9


@pytest.mark.parametrize("name, value", [
    ("RASA_TIMEOUT_S", "soon"), ("HANDOFF_TYPICAL_WAIT_MINUTES", "fifteen"), ("CONSOLE_COOKIE_SECURE", "maybe"),
    ("OFFICE_OPEN", "8h30"), ("OFFICE_HOLIDAYS", "2027-13-01"), ("WIDGET_RATE_PER_SESSION", "-1"),
    ("HANDOFF_FAKE_NOW", "next monday"),
])
def test_a_bad_value_names_its_variable(clean_env, tmp_path, name, value):
    clean_env.setenv(name, value)
    with pytest.raises(SettingsError) as err:
        Settings.from_env(tmp_path / "no.env")
    assert f"{name}={value!r}" in str(err.value)


def test_settings_built_in_code_read_no_environment(clean_env):
    clean_env.setenv("RASA_URL", "http://elsewhere:1")
    assert Settings(database_url="sqlite:///x.db").rasa_url == "http://127.0.0.1:5005"
