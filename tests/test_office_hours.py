"""Office hours with an injected clock, and callback contact validation."""
from __future__ import annotations

from datetime import date, datetime, time

import pytest

from channels.core.contact import is_decline, parse_contact
from channels.core.hours import TAIPEI, OfficeHours, clock_from_setting, parse_hhmm, parse_holidays
from knowledge.calc.params import parameters

# the gateway's default: the hotline's hours from knowledge/parameters.yml (08:30～18:00)
HOURS = OfficeHours(parse_hhmm(parameters().service_open), parse_hhmm(parameters().service_close),
                    holidays=parse_holidays("2026-12-25, 2027-01-01"))


def tp(y, mo, d, h, mi=0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=TAIPEI)


@pytest.mark.parametrize("moment, is_open", [
    (tp(2026, 11, 30, 8, 29), False),   # Monday, a minute before opening
    (tp(2026, 11, 30, 8, 30), True),
    (tp(2026, 11, 30, 17, 59), True),
    (tp(2026, 11, 30, 18, 0), False),   # closing time itself is closed
    (tp(2026, 11, 28, 10, 0), False),   # Saturday
    (tp(2026, 11, 29, 10, 0), False),   # Sunday
    (tp(2026, 12, 25, 10, 0), False),   # listed holiday (a Friday)
    (datetime(2026, 11, 30, 2, 0, tzinfo=TAIPEI).astimezone(TAIPEI).replace(hour=2), False),
])
def test_is_open(moment, is_open):
    assert HOURS.is_open(moment) is is_open


def test_utc_times_are_judged_in_taipei():
    from datetime import timezone
    assert HOURS.is_open(datetime(2026, 11, 30, 1, 0, tzinfo=timezone.utc))        # 09:00 Taipei
    assert not HOURS.is_open(datetime(2026, 11, 30, 10, 30, tzinfo=timezone.utc))  # 18:30 Taipei


@pytest.mark.parametrize("moment, expected", [
    (tp(2026, 11, 30, 7, 0), tp(2026, 11, 30, 8, 30)),     # early morning → same day
    (tp(2026, 11, 30, 18, 5), tp(2026, 12, 1, 8, 30)),     # evening → next day
    (tp(2026, 11, 27, 19, 0), tp(2026, 11, 30, 8, 30)),    # Friday evening → Monday
    (tp(2026, 11, 28, 12, 0), tp(2026, 11, 30, 8, 30)),    # Saturday → Monday
    (tp(2026, 12, 24, 20, 0), tp(2026, 12, 28, 8, 30)),    # before a Friday holiday → Monday
    (tp(2026, 12, 31, 18, 30), tp(2027, 1, 4, 8, 30)),     # New Year's Day holiday, then a weekend
])
def test_next_open(moment, expected):
    assert HOURS.next_open(moment) == expected


def test_describe_and_hours_text_are_zh_tw():
    assert HOURS.describe(tp(2026, 11, 30, 8, 30)) == "11月30日（一）08:30"
    assert HOURS.hours_text() == "週一至週五 08:30～18:00，國定假日除外"


def test_configurable_hours_and_bad_settings():
    h = OfficeHours(time(9, 0), time(17, 30))
    assert not h.is_open(tp(2026, 11, 30, 8, 45)) and h.is_open(tp(2026, 11, 30, 17, 0))
    with pytest.raises(ValueError):
        OfficeHours(time(18, 0), time(8, 30))
    with pytest.raises(ValueError):
        parse_holidays("2026-13-01")
    assert parse_holidays(" ,\n") == frozenset()
    assert date(2026, 12, 25) in HOURS.holidays


def test_fake_clock_setting_starts_at_the_given_time_and_advances():
    clock = clock_from_setting("2026-11-30T10:00:00+08:00")
    first = clock()
    assert first.astimezone(TAIPEI).replace(microsecond=0, second=0) == tp(2026, 11, 30, 10, 0)
    assert clock() >= first


@pytest.mark.parametrize("text, value", [
    ("0912345678", "0912-345-678"),
    ("我的手機 0912-345-678 謝謝", "0912-345-678"),
    ("+886 912 345 678", "0912-345-678"),
    ("０９１２３４５６７８", "0912-345-678"),              # full-width digits
    ("02-23456789", "02-23456789"),
    ("(02)2345-6789 分機 123", "02-23456789#123"),
    ("049-2345678", "049-2345678"),
    ("wang@example.com.tw", "wang@example.com.tw"),
    ("請寄到 Chen.Li+sme@factory.com ", "Chen.Li+sme@factory.com"),
])
def test_valid_contacts(text, value):
    assert parse_contact(text).value == value


@pytest.mark.parametrize("text", ["12345", "0912", "1912345678", "abc@", "@example.com", "明天再說",
                                  "", "0" * 300, "09123456789999"])
def test_invalid_contacts(text):
    assert parse_contact(text) is None


@pytest.mark.parametrize("text, declined", [("不用", True), ("不用了，謝謝", True), ("不方便留", True),
                                           ("0912345678", False), ("好", False)])
def test_decline(text, declined):
    assert is_decline(text) is declined
