"""Constants of the test environment, shared by conftest's fixtures and the tests (import this
module, never conftest)."""
from __future__ import annotations

import os

# A Monday inside office hours (Asia/Taipei): the gateway's clock for the whole test session.
STACK_NOW = "2026-11-30T10:00:00+08:00"
LINE_SECRET = "test-channel-secret"
LINE_TOKEN = "test-channel-access-token"
# HOTLINE_TEST_PORT_OFFSET lets two test runs on one machine use different ports.
PORT_OFFSET = int(os.environ.get("HOTLINE_TEST_PORT_OFFSET", "0"))
LINE_PORT = 18090 + PORT_OFFSET

# gateways under fault-test load: no rate limits (many messages from one address), no agent assist
# (the retriever's model would load in every short-lived gateway)
LOAD_GATEWAY_ENV = {"AGENT_ASSIST": "false", "WIDGET_RATE_PER_SESSION": "0", "WIDGET_RATE_PER_ADDRESS": "0"}


def stack_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of the test stack's servers (conftest's session stack, and every extra gateway
    or cluster the tests start): its handoff database, the fixed clock, LINE's test credentials."""
    return {"HANDOFF_DATABASE_URL": database_url, "HANDOFF_FAKE_NOW": STACK_NOW,
            "LINE_CHANNEL_SECRET": LINE_SECRET, "LINE_CHANNEL_ACCESS_TOKEN": LINE_TOKEN, **extra}


def extra_gateway(stack_cfg, *, port: int, var_dir, log_dir, database_url: str, **env: str):
    """The configuration of one more gateway next to the session stack (its Rasa and action server):
    the session stack's own settings and environment, with its own port, data directory, database."""
    import dataclasses

    return dataclasses.replace(stack_cfg, gateway_port=port, var_dir=var_dir, log_dir=log_dir,
                               extra_env={**stack_cfg.extra_env, **stack_env(database_url, **env)})
