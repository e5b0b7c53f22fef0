"""Office hours with an injected clock, and callback contact validation."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

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
    # issue 10 (finding 7): the officer hours are this service's own setting, said as such; the
    # former 「週一至週五 08:30～18:00，國定假日除外」 claimed holidays that were never applied
    assert HOURS.hours_text() == "本服務的專人線上時間為上班日 08:30～18:00，週末、國定假日及補假休息"


def test_holidays_are_named_only_when_applied():
    bare = OfficeHours(time(8, 30), time(18, 0), calendar=None, workdays=frozenset())
    assert "國定假日" not in bare.hours_text() and "本服務" in bare.hours_text()
    assert bare.is_working_day(date(2027, 1, 1))          # no calendar: a Friday is a Friday
    assert "國定假日" in OfficeHours(time(8, 30), time(18, 0)).hours_text()


# ---------- Taiwan's calendar (holidays package, country TW) with an injected clock ----------

TW = OfficeHours(time(8, 30), time(18, 0), workdays=frozenset())   # no OFFICE_HOLIDAYS at all


@pytest.mark.parametrize("moment, expected, why", [
    (tp(2026, 12, 31, 19, 0), tp(2027, 1, 4, 8, 30), "New Year's Eve 19:00: 1/1 (Fri) 開國紀念日, then a weekend"),
    (tp(2027, 1, 1, 10, 0), tp(2027, 1, 4, 8, 30), "on New Year's Day itself"),
    (tp(2026, 2, 13, 19, 0), tp(2026, 2, 23, 8, 30), "Lunar New Year 2026: 2/14–2/22 off (除夕、春節、補假)"),
    (tp(2026, 2, 17, 10, 0), tp(2026, 2, 23, 8, 30), "during Lunar New Year 2026"),
    (tp(2027, 2, 3, 19, 0), tp(2027, 2, 11, 8, 30), "Lunar New Year 2027: 2/4–2/10 off"),
    (tp(2026, 2, 26, 19, 0), tp(2026, 3, 2, 8, 30), "228 in 2026: Sat, observed Fri 2/27"),
    (tp(2027, 2, 26, 19, 0), tp(2027, 3, 2, 8, 30), "228 in 2027: Sun, observed Mon 3/1"),
    (tp(2026, 4, 2, 19, 0), tp(2026, 4, 7, 8, 30), "兒童節／清明節 2026: 4/3–4/6 off"),
    (tp(2026, 4, 30, 19, 0), tp(2026, 5, 4, 8, 30), "Labour Day 2026 (Fri)"),
    (tp(2026, 6, 18, 19, 0), tp(2026, 6, 22, 8, 30), "Dragon Boat Festival 2026 (Fri)"),
    (tp(2026, 9, 24, 19, 0), tp(2026, 9, 29, 8, 30), "Mid-Autumn 9/25 (Fri) and Teacher's Day 9/28 (Mon) 2026"),
    (tp(2026, 10, 8, 19, 0), tp(2026, 10, 12, 8, 30), "National Day 2026: observed Fri 10/9"),
    (tp(2026, 10, 23, 19, 0), tp(2026, 10, 27, 8, 30), "光復節 2026: Sun 10/25, observed Mon 10/26"),
    (tp(2026, 12, 24, 19, 0), tp(2026, 12, 28, 8, 30), "行憲紀念日 2026 (Fri)"),
    (tp(2027, 4, 2, 19, 0), tp(2027, 4, 7, 8, 30), "兒童節／清明節 2027: 4/5–4/6 off"),
    (tp(2027, 12, 23, 19, 0), tp(2027, 12, 27, 8, 30), "行憲紀念日 2027: Sat, observed Fri 12/24"),
    (tp(2027, 12, 30, 19, 0), tp(2028, 1, 3, 8, 30), "開國紀念日 2028: Sat, observed Fri 12/31/2027"),
])
def test_handoff_names_the_next_real_working_day(moment, expected, why):
    assert TW.next_open(moment) == expected, why
    day = moment.date() + timedelta(days=1)
    while day < expected.date():                       # every day skipped really is a day off
        assert not TW.is_working_day(day), (why, day)
        day += timedelta(days=1)


@pytest.mark.parametrize("day", [date(2026, 1, 1), date(2026, 2, 16), date(2026, 2, 20), date(2026, 2, 27),
                                 date(2026, 9, 28), date(2027, 2, 5), date(2027, 2, 10), date(2027, 3, 1)])
def test_taiwan_days_off_are_not_working_days(day):
    assert not TW.is_working_day(day) and TW.holiday_name(day)


def test_make_up_working_saturday_from_the_calendar():
    assert TW.is_working_day(date(2025, 2, 8))                       # 補班 (the 1/27 補假 was moved from it)
    assert TW.next_open(tp(2025, 2, 7, 19, 0)) == tp(2025, 2, 8, 8, 30)


def test_operator_overrides_extra_days_off_and_extra_working_days():
    typhoon = OfficeHours(time(8, 30), time(18, 0), holidays=frozenset({date(2026, 7, 2)}), workdays=frozenset())
    assert typhoon.next_open(tp(2026, 7, 1, 19, 0)) == tp(2026, 7, 3, 8, 30)
    makeup = OfficeHours(time(8, 30), time(18, 0), workdays=frozenset({date(2026, 2, 21)}))
    assert makeup.next_open(tp(2026, 2, 13, 19, 0)) == tp(2026, 2, 21, 8, 30)
    with pytest.raises(ValueError):
        OfficeHours(time(8, 30), time(18, 0), holidays=frozenset({date(2026, 2, 21)}),
                    workdays=frozenset({date(2026, 2, 21)}))


def test_office_workdays_is_read_from_the_environment(monkeypatch, tmp_path):
    from channels.app import build_context
    from channels.settings import Settings

    monkeypatch.setenv("OFFICE_WORKDAYS", "2026-02-21")
    monkeypatch.setenv("HANDOFF_DATABASE_URL", f"sqlite:///{tmp_path / 'h.db'}")
    ctx = build_context(Settings.from_env(env_file=None))
    assert ctx.hours.is_working_day(date(2026, 2, 21))


def test_the_handoff_message_never_promises_a_day_off():
    from channels import texts
    when = TW.next_open(tp(2026, 12, 31, 19, 0))
    text = texts.HANDOFF_OUT_OF_HOURS.format(hours=TW.hours_text(), when=TW.describe(when))
    assert "1月4日（一）08:30" in text and "1月1日" not in text


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
    ("南竿 0836-22345", "0836-22345"),                  # Matsu: a 4-digit area code
    ("0836 22345 轉 6", "0836-22345#6"),
    ("037-123456", "037-123456"),
    ("07-3456789", "07-3456789"),
    ("(04)2345-6789 ext. 45", "04-23456789#45"),
    ("公司 02 8912 3456 分機12", "02-89123456#12"),
    ("wang@example.com.tw", "wang@example.com.tw"),
    ("請寄到 Chen.Li+sme@factory.com ", "Chen.Li+sme@factory.com"),
])
def test_valid_contacts(text, value):
    assert parse_contact(text).value == value


@pytest.mark.parametrize("text", ["12345", "0912", "1912345678", "abc@", "@example.com", "明天再說",
                                  "", "0" * 300, "09123456789999",
                                  "02-2345678",        # Taipei numbers have 8 digits after 02
                                  "03-12345678"])      # no such number in the plan
def test_invalid_contacts(text):
    assert parse_contact(text) is None


@pytest.mark.parametrize("text, declined", [("不用", True), ("不用了，謝謝", True), ("不方便留", True),
                                           ("0912345678", False), ("好", False)])
def test_decline(text, declined):
    assert is_decline(text) is declined
