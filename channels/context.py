"""What every part of the gateway is handed: one ``Context`` per app (built by ``app.build_context``)."""
from __future__ import annotations

from dataclasses import dataclass

from .core.assist import AgentAssist
from .core.hours import Clock, OfficeHours
from .core.hub import Hub
from .core.store import Store
from .settings import Settings


@dataclass
class Context:
    settings: Settings
    store: Store
    hub: Hub
    hours: OfficeHours
    clock: Clock
    assist: AgentAssist
