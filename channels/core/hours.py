"""Officers' working hours, Asia/Taipei, on working days (weekends and listed holidays off).

Plain Python with an injectable clock. The gateway builds it from settings (``OFFICE_OPEN``,
``OFFICE_CLOSE``, ``OFFICE_HOLIDAYS``); unset hours default to the hotline's service hours in
knowledge/parameters.yml (``service_hours``, stated in entry ``hotline_main``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Callable
from zoneinfo import ZoneInfo

from .. import texts

TAIPEI = ZoneInfo("Asia/Taipei")

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(timezone.utc)


def parse_holidays(text: str | None) -> frozenset[date]:
    """``2026-01-01,2026-02-16`` → dates; blanks ignored, a bad entry raises ValueError."""
    out = set()
    for part in (text or "").replace("\n", ",").split(","):
        part = part.strip()
        if part:
            out.add(date.fromisoformat(part))
    return frozenset(out)


def parse_hhmm(text: str) -> time:
    h, m = text.strip().split(":")
    return time(int(h), int(m))


@dataclass(frozen=True)
class OfficeHours:
    open_at: time
    close_at: time
    holidays: frozenset[date] = field(default_factory=frozenset)
    tz: ZoneInfo = TAIPEI

    def __post_init__(self) -> None:
        if not self.open_at < self.close_at:
            raise ValueError("office hours: opening must be before closing")

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def is_open(self, now: datetime) -> bool:
        local = now.astimezone(self.tz)
        return self.is_working_day(local.date()) and self.open_at <= local.time() < self.close_at

    def next_open(self, now: datetime) -> datetime:
        """The start of the next working period after ``now`` (``now`` itself excluded when open)."""
        local = now.astimezone(self.tz)
        day = local.date()
        if self.is_working_day(day) and local.time() < self.open_at:
            return datetime.combine(day, self.open_at, self.tz)
        for _ in range(400):
            day += timedelta(days=1)
            if self.is_working_day(day):
                return datetime.combine(day, self.open_at, self.tz)
        raise ValueError("no working day within 400 days: check OFFICE_HOLIDAYS")

    def describe(self, moment: datetime) -> str:
        """``11月30日（一）08:30`` in Taipei time."""
        local = moment.astimezone(self.tz)
        return texts.MOMENT.format(month=local.month, day=local.day, weekday=texts.WEEKDAYS[local.weekday()],
                                   time=f"{local:%H:%M}")

    def hours_text(self) -> str:
        return texts.OFFICE_HOURS.format(open=f"{self.open_at:%H:%M}", close=f"{self.close_at:%H:%M}")


def fixed_clock(moment: datetime) -> Clock:
    return lambda: moment


def clock_from_setting(value: str | None) -> Clock:
    """``HANDOFF_FAKE_NOW`` (tests and demos only): a fixed ISO time that keeps advancing in real time."""
    if not value:
        return system_clock
    start = datetime.fromisoformat(value)
    if start.tzinfo is None:
        start = start.replace(tzinfo=TAIPEI)
    real_start = system_clock()
    return lambda: start + (system_clock() - real_start)

