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
