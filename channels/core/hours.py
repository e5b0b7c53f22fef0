"""Officers' working hours for the chat service, Asia/Taipei, on Taiwan's working days.

These hours are this service's own setting (the brief gives only the hotline's 08:30～18:00, and
they default to it); they are said to users as such. Working days follow Taiwan's government work
calendar from the maintained ``holidays`` package (country ``TW``: national holidays, 補假 and the
make-up working Saturdays it knows), with operator overrides: ``OFFICE_HOLIDAYS`` (extra days off,
e.g. a typhoon day) and ``OFFICE_WORKDAYS`` (extra working days, e.g. a 補班 Saturday the package
does not list yet).

Plain Python with an injectable clock. The gateway builds it from settings (``OFFICE_OPEN``,
``OFFICE_CLOSE``, ``OFFICE_HOLIDAYS``, ``OFFICE_WORKDAYS``);
unset hours default to the hotline's service hours in knowledge/parameters.yml (``service_hours``,
stated in entry ``hotline_main``).
"""
from __future__ import annotations

import functools
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


@functools.lru_cache(maxsize=4)
def _calendar(country: str):
    """The country's public holidays (years filled in on demand), from the ``holidays`` package."""
    import holidays
    return holidays.country_holidays(country)




def parse_hhmm(text: str) -> time:
    h, m = text.strip().split(":")
    return time(int(h), int(m))


@dataclass(frozen=True)
class OfficeHours:
    open_at: time
    close_at: time
    holidays: frozenset[date] = field(default_factory=frozenset)        # OFFICE_HOLIDAYS: extra days off
    workdays: frozenset[date] = field(default_factory=frozenset)    # OFFICE_WORKDAYS: extra working days
    calendar: str | None = "TW"        # public holidays of this country (None: weekends only)
    tz: ZoneInfo = TAIPEI

    def __post_init__(self) -> None:
        if not self.open_at < self.close_at:
            raise ValueError("office hours: opening must be before closing")
        if self.holidays & self.workdays:
            raise ValueError("office hours: a day is listed both in OFFICE_HOLIDAYS and OFFICE_WORKDAYS")

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        if self.calendar:
            return _calendar(self.calendar).is_working_day(day)   # holidays, 補假 and 補班 Saturdays
        return day.weekday() < 5

    def holiday_name(self, day: date) -> str | None:
        if day in self.holidays:
            return texts.DAY_OFF
        if self.calendar and day not in self.workdays:
            return _calendar(self.calendar).get(day)
        return None

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
        """The service's own officer hours, said as such; holidays are named only when applied."""
        hours = texts.HOURS_SPAN.format(open=f"{self.open_at:%H:%M}", close=f"{self.close_at:%H:%M}")
        if self.calendar:
            return texts.OFFICE_HOURS_CALENDAR.format(hours=hours)
        if self.holidays:
            return texts.OFFICE_HOURS_LISTED_DAYS_OFF.format(hours=hours)
        return texts.OFFICE_HOURS.format(hours=hours)


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

