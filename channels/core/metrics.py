"""Every figure of the supervisor dashboard for a period, from the handoff database.

Plain Python over a few aggregate queries (SQLite and PostgreSQL alike); no web framework here.
A period is ``[start, end)`` in UTC. Definitions (each tested against a generated set):

- conversations: conversations with at least one user message in the period; messages: user
  messages (``in``) and all messages in the period;
- contained: of those conversations, the ones with no ticket created in the period (settled by the
  bot alone); ``containment`` = contained / conversations;
- handoffs by reason: tickets created in the period, by reason; ``out_of_hours``: those opened
  outside office hours (they have a callback time); ``no_officer``: opened in office hours and
  resolved or still open without ever being claimed;
- queue wait (in-hours tickets claimed): claimed − created, median and 80th percentile (nearest
  rank); first response: the first officer message − created; resolution: resolved − created; both
  counted in office hours only (``office_seconds``), median and mean;
- callbacks: requested (out-of-hours tickets with a contact), made (claimed by an officer),
  reached (the officer marked it reached when resolving);
- close reasons of tickets resolved in the period: spam, callback reached / not reached, resolved;
- bot feedback: 👍 / (👍+👎) over the ratings given in the period, per answer kind too;
- CSAT (people): asked, answered, skipped, mean 1–5 and the distribution;
- top topics: knowledge entries answered most (answer, direct and calc events);
- unanswered: the questions the bot could not answer, 👎'd answers and "misunderstood" handoffs
  (grouped by similarity in ``grouping.py``).
"""
from __future__ import annotations

import math
import statistics
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Sequence

from sqlalchemy import and_, func, insert, or_, select, union
from sqlalchemy.exc import IntegrityError

from .hours import OfficeHours
from .store import Store
from .store.analytics_schema import ActivityDay, AnswerEvent, ConversationDay, Feedback, TicketOutcome
from .store.schema import Message, Ticket, as_utc, aware, utcnow

TOP_TOPICS = 10
MAX_UNANSWERED = 2000      # questions read for the unanswered list (newest first)


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile (p in 0..100) of ``values``; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def office_seconds(hours: OfficeHours, start: datetime, end: datetime,
                   working: dict[date, Any] | None = None) -> float:
    """Seconds between ``start`` and ``end`` that fall in office hours (working days, open → close).
    ``working``: a cache (day → its open and close times, or None on a day off) shared by the calls
    of one computation."""
    if end <= start:
        return 0.0
    working = {} if working is None else working
    tz = hours.tz
    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    last = local_end.date()
    total = 0.0
    day: date = local_start.date()
    for _ in range(800):       # a ticket open for more than two years counts two years
        if day > last:
            break
        if day not in working:
            working[day] = ((datetime.combine(day, hours.open_at, tz), datetime.combine(day, hours.close_at, tz))
                            if hours.is_working_day(day) else None)
        span = working[day]
        if span is not None:
            lo, hi = max(span[0], local_start), min(span[1], local_end)
            if hi > lo:
                total += (hi - lo).total_seconds()
        day += timedelta(days=1)
    return total


def _summary(values: Sequence[float]) -> dict[str, float | int | None]:
    return {"count": len(values), "median": statistics.median(values) if values else None,
            "mean": statistics.fmean(values) if values else None, "p80": percentile(values, 80)}


@dataclass
class Dashboard:
    start: datetime
    end: datetime
    conversations: int = 0
    user_messages: int = 0
    messages: int = 0
    contained: int = 0
    containment: float | None = None
    handoffs: int = 0
    handoffs_by_reason: dict[str, int] = field(default_factory=dict)
    out_of_hours: int = 0
    no_officer: int = 0
    queue_wait: dict[str, Any] = field(default_factory=dict)           # seconds
    first_response: dict[str, Any] = field(default_factory=dict)       # office-hours seconds
    resolution: dict[str, Any] = field(default_factory=dict)           # office-hours seconds
    callbacks: dict[str, int] = field(default_factory=dict)            # requested, made, reached
    close_reasons: dict[str, int] = field(default_factory=dict)
    feedback: dict[str, Any] = field(default_factory=dict)             # up, down, rate, by_kind, reasons
    csat: dict[str, Any] = field(default_factory=dict)                 # asked, answered, skipped, mean, dist
    answers_by_kind: dict[str, int] = field(default_factory=dict)
    top_topics: list[tuple[str, int]] = field(default_factory=list)    # (entry id, answers)
    unanswered: list[dict[str, Any]] = field(default_factory=list)     # {question, source, at}
    daily: list[dict[str, Any]] = field(default_factory=list)          # per Taipei day: conversations, handoffs

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["start"], data["end"] = self.start.isoformat(), self.end.isoformat()
        data["top_topics"] = [{"entry_id": e, "count": n} for e, n in self.top_topics]
        return data


def compute(store: Store, hours: OfficeHours, start: datetime, end: datetime) -> Dashboard:
    start, end = as_utc(start), as_utc(end)
    d = Dashboard(start, end)
    in_period = lambda col: and_(col >= start, col < end)   # noqa: E731
    with store._sessions() as s:
        conn = s.connection()   # Core rows: no ORM bookkeeping for thousands of rows
        # ------------------------------------------------ conversations and messages
        # finished Taipei days wholly inside the period come from the rollup; the rest is read live
        full, live = _split(hours, start, end)
        if full:
            _ensure_rollup(store, conn, hours, full[0], full[-1])
        rolled = conn.execute(select(ActivityDay.day, ActivityDay.messages, ActivityDay.user_messages).where(
            ActivityDay.day >= full[0], ActivityDay.day <= full[-1])).all() if full else []
        live_where = or_(*[and_(Message.created_at >= a, Message.created_at < b) for a, b in live]) if live else None
        hourly = []
        if live_where is not None:
            hour = _hour_bucket(conn, Message.created_at)
            hourly = conn.execute(select(hour.label("h"), func.count(), func.count().filter(Message.direction == "in"))
                               .where(live_where).group_by(hour)).all()
        d.messages = sum(int(n) for _, n, _ in hourly) + sum(int(r.messages) for r in rolled)
        d.user_messages = sum(int(n) for _, _, n in hourly) + sum(int(r.user_messages) for r in rolled)
        parts = []
        if full:
            parts.append(select(ConversationDay.conversation_id.label("cid")).where(
                ConversationDay.day >= full[0], ConversationDay.day <= full[-1]))
        if live_where is not None:
            parts.append(select(Message.conversation_id.label("cid")).where(live_where, Message.direction == "in"))
        active = union(*parts).subquery() if len(parts) > 1 else parts[0].distinct().subquery()
        d.conversations = int(conn.scalar(select(func.count()).select_from(active)) or 0)
        asked = []   # the ticket's conversation had a user message in the period (index probes per ticket)
        if full:
            asked.append(select(ConversationDay.day).where(
                ConversationDay.conversation_id == Ticket.conversation_id, ConversationDay.day >= full[0],
                ConversationDay.day <= full[-1]).exists())
        if live_where is not None:
            asked.append(select(Message.id).where(Message.conversation_id == Ticket.conversation_id,
                                                  Message.direction == "in", live_where).exists())
        with_ticket = int(conn.scalar(select(func.count(func.distinct(Ticket.conversation_id))).where(
            in_period(Ticket.created_at), or_(*asked))) or 0)
        d.contained = d.conversations - with_ticket
        d.containment = d.contained / d.conversations if d.conversations else None

        # ------------------------------------------------ tickets opened in the period
        tickets = conn.execute(select(Ticket.id, Ticket.reason, Ticket.state, Ticket.contact, Ticket.callback_after,
                                   Ticket.created_at, Ticket.claimed_at, Ticket.resolved_at)
                            .where(in_period(Ticket.created_at))).all()
        first_officer = dict(conn.execute(
            select(Message.ticket_id, func.min(Message.created_at))
            .where(Message.author == "officer",
                   Message.ticket_id.in_(select(Ticket.id).where(in_period(Ticket.created_at))))
            .group_by(Message.ticket_id)).all())
        reached_of = dict(conn.execute(
            select(TicketOutcome.ticket_id, TicketOutcome.reached).join(Ticket, Ticket.id == TicketOutcome.ticket_id)
            .where(in_period(Ticket.created_at), Ticket.callback_after.is_not(None))).all())
        d.handoffs = len(tickets)
        d.handoffs_by_reason = dict(Counter(t.reason for t in tickets).most_common())
        waits, firsts, resolutions = [], [], []
        working: dict[date, Any] = {}
        callbacks = {"requested": 0, "made": 0, "reached": 0}
        for t in tickets:
            created, claimed, resolved = aware(t.created_at), aware(t.claimed_at), aware(t.resolved_at)
            if t.callback_after is not None:
                d.out_of_hours += 1
                if t.contact:
                    callbacks["requested"] += 1
                    if claimed is not None:
                        callbacks["made"] += 1
                    if reached_of.get(t.id):
                        callbacks["reached"] += 1
            else:
                if claimed is not None:
                    waits.append((claimed - created).total_seconds())
                else:
                    d.no_officer += 1
            first = aware(first_officer.get(t.id))
            if first is not None:
                firsts.append(office_seconds(hours, created, first, working))
            if resolved is not None:
                resolutions.append(office_seconds(hours, created, resolved, working))
        d.queue_wait, d.first_response, d.resolution = _summary(waits), _summary(firsts), _summary(resolutions)
        d.callbacks = callbacks

        # ------------------------------------------------ tickets resolved in the period: how they ended
        ended = conn.execute(select(Ticket.id, Ticket.callback_after, Ticket.contact, TicketOutcome.spam,
                                 TicketOutcome.reached)
                          .outerjoin(TicketOutcome, TicketOutcome.ticket_id == Ticket.id)
                          .where(in_period(Ticket.resolved_at))).all()
        close = Counter()
        for row in ended:
            if row.spam:
                close["spam"] += 1
            elif row.reached is True:
                close["callback_reached"] += 1
            elif row.reached is False:
                close["callback_not_reached"] += 1
            else:
                close["resolved"] += 1
        d.close_reasons = dict(close.most_common())

        # ------------------------------------------------ satisfaction with people (resolved in the period)
        csat_rows = conn.execute(select(TicketOutcome.csat_state, TicketOutcome.csat_score)
                              .where(in_period(TicketOutcome.resolved_at))).all()
        states = Counter(r.csat_state for r in csat_rows)
        scores = [r.csat_score for r in csat_rows if r.csat_state == "answered" and r.csat_score]
        asked = states["asked"] + states["answered"] + states["skipped"]
        d.csat = {"asked": asked, "answered": states["answered"], "skipped": states["skipped"],
                  "response_rate": states["answered"] / asked if asked else None,
                  "mean": statistics.fmean(scores) if scores else None,
                  "satisfied": sum(1 for x in scores if x >= 4) / len(scores) if scores else None,
                  "distribution": {str(k): scores.count(k) for k in range(1, 6)}}

        # ------------------------------------------------ the bot: answers, feedback, topics
        by_kind_entry = conn.execute(select(AnswerEvent.kind, AnswerEvent.entry_id, func.count())
                                  .where(in_period(AnswerEvent.created_at))
                                  .group_by(AnswerEvent.kind, AnswerEvent.entry_id)).all()
        kinds: Counter[str] = Counter()
        entries: Counter[str] = Counter()
        for kind, entry, n in by_kind_entry:
            kinds[kind] += int(n)
            if entry is not None and kind in ("answer", "direct", "calc"):
                entries[entry] += int(n)
        d.answers_by_kind = dict(sorted(kinds.items()))
        d.top_topics = sorted(entries.items(), key=lambda x: (-x[1], x[0]))[:TOP_TOPICS]
        fb = conn.execute(select(Feedback.kind, Feedback.score, Feedback.reason, func.count())
                       .where(in_period(Feedback.created_at))
                       .group_by(Feedback.kind, Feedback.score, Feedback.reason)).all()
        up = sum(n for _, score, _, n in fb if score > 0)
        down = sum(n for _, score, _, n in fb if score < 0)
        by_kind: dict[str, dict[str, int]] = {}
        reasons: Counter[str] = Counter()
        for kind, score, reason, n in fb:
            k = by_kind.setdefault(kind, {"up": 0, "down": 0})
            k["up" if score > 0 else "down"] += n
            if score < 0:
                reasons[reason or "none"] += n
        d.feedback = {"up": up, "down": down, "rate": up / (up + down) if up + down else None,
                      "by_kind": by_kind, "reasons": dict(reasons.most_common())}

        # ------------------------------------------------ questions the bot could not answer, or got 👎 on
        unanswered = conn.execute(select(AnswerEvent.question, AnswerEvent.created_at)
                               .where(in_period(AnswerEvent.created_at), AnswerEvent.kind == "unanswered")
                               .order_by(AnswerEvent.created_at.desc()).limit(MAX_UNANSWERED)).all()
        disliked = conn.execute(select(Feedback.question, Feedback.created_at, Feedback.entry_id)
                             .where(in_period(Feedback.created_at), Feedback.score < 0)
                             .order_by(Feedback.created_at.desc()).limit(MAX_UNANSWERED)).all()
        misunderstood = conn.execute(select(Ticket.summary, Ticket.created_at)
                                  .where(in_period(Ticket.created_at), Ticket.reason == "misunderstood")
                                  .order_by(Ticket.created_at.desc()).limit(MAX_UNANSWERED)).all()
        items = [{"question": q, "source": "unanswered", "at": aware(at).isoformat()} for q, at in unanswered if q]
        items += [{"question": q, "source": "disliked", "entry_id": e, "at": aware(at).isoformat()}
                  for q, at, e in disliked if q]
        items += [{"question": str((summary or {}).get("last_question") or ""), "source": "misunderstood",
                   "at": aware(at).isoformat()} for summary, at in misunderstood
                  if (summary or {}).get("last_question")]
        d.unanswered = items

        # ------------------------------------------------ per day (Taipei) for the charts
        noon = time(12)
        d.daily = _daily(hours, start, end, [(_parse_hour(h), int(n)) for h, _, n in hourly] +
                         [(datetime.combine(r.day, noon, hours.tz), int(r.user_messages)) for r in rolled],
                         [(aware(t.created_at), 1) for t in tickets])
    return d


def _daily(hours: OfficeHours, start: datetime, end: datetime, questions: list[tuple[datetime, int]],
           handoffs: list[tuple[datetime, int]]) -> list[dict[str, Any]]:
    """User messages and tickets opened per Taipei day (at most 400 days, the newest)."""
    tz = hours.tz
    first_day = start.astimezone(tz).date()
    last_day = (end - timedelta(microseconds=1)).astimezone(tz).date()
    if (last_day - first_day).days > 400:
        first_day = last_day - timedelta(days=400)
    days: dict[date, dict[str, Any]] = {}
    day = first_day
    while day <= last_day:
        days[day] = {"day": day.isoformat(), "questions": 0, "handoffs": 0}
        day += timedelta(days=1)
    for key, rows in (("questions", questions), ("handoffs", handoffs)):
        for moment, n in rows:
            local = moment.astimezone(tz).date()
            if local in days:
                days[local][key] += n
    return list(days.values())


def _split(hours: OfficeHours, start: datetime, end: datetime) -> tuple[list[date], list[tuple[datetime, datetime]]]:
    """The finished Taipei days wholly inside [start, end) (ascending, contiguous), and the live
    ranges around them (or the whole period when there is no such day)."""
    tz = hours.tz
    today = utcnow().astimezone(tz).date()
    day = start.astimezone(tz).date()
    if datetime.combine(day, time(0), tz) < start:
        day += timedelta(days=1)
    full = []
    while day < today and datetime.combine(day + timedelta(days=1), time(0), tz) <= end:
        full.append(day)
        day += timedelta(days=1)
    if not full:
        return [], [(start, end)]
    lo = datetime.combine(full[0], time(0), tz)
    hi = datetime.combine(full[-1] + timedelta(days=1), time(0), tz)
    live = [(a, b) for a, b in ((start, lo), (hi, end)) if b > a]
    return full, [(as_utc(a), as_utc(b)) for a, b in live]


def _day_of(s: Any, column: Any, hours: OfficeHours) -> Any:
    """The Taipei calendar day of a stored time, in SQL."""
    if s.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone(str(hours.tz), column))
    offset = datetime(2026, 1, 1, tzinfo=hours.tz).utcoffset() or timedelta(0)   # Taipei: +8 h all year
    return func.date(column, f"+{int(offset.total_seconds() // 3600)} hours")


def _ensure_rollup(store: Store, s: Any, hours: OfficeHours, first: date, last: date) -> None:
    """Fill the rollup for the finished days in [first, last] it lacks (once per day, ever)."""
    have = set(s.execute(select(ActivityDay.day).where(ActivityDay.day >= first, ActivityDay.day <= last)).scalars())
    missing = [first + timedelta(days=i) for i in range((last - first).days + 1)
               if first + timedelta(days=i) not in have]
    if not missing:
        return
    lo = as_utc(datetime.combine(missing[0], time(0), hours.tz))
    hi = as_utc(datetime.combine(missing[-1] + timedelta(days=1), time(0), hours.tz))
    wanted = set(missing)
    try:
        with store._sessions.begin() as w:
            day = _day_of(w, Message.created_at, hours)
            counts = {}
            for d, n, u in w.execute(select(day, func.count(), func.count().filter(Message.direction == "in"))
                                     .where(Message.created_at >= lo, Message.created_at < hi).group_by(day)):
                counts[d if isinstance(d, date) else date.fromisoformat(str(d))] = (int(n), int(u))
            w.add_all(ActivityDay(day=x, messages=counts.get(x, (0, 0))[0], user_messages=counts.get(x, (0, 0))[1])
                      for x in missing)
            pairs = w.execute(select(day, Message.conversation_id).where(
                Message.created_at >= lo, Message.created_at < hi, Message.direction == "in").distinct()).all()
            rows = [{"day": d if isinstance(d, date) else date.fromisoformat(str(d)), "conversation_id": c}
                    for d, c in pairs]
            rows = [r for r in rows if r["day"] in wanted]
            if rows:
                w.execute(insert(ConversationDay), rows)
    except IntegrityError:   # another gateway filled the same days meanwhile
        pass


def _hour_bucket(s: Any, column: Any) -> Any:
    if s.dialect.name == "postgresql":
        return func.date_trunc("hour", func.timezone("UTC", column))
    return func.strftime("%Y-%m-%d %H:00:00", column)


def _parse_hour(value: Any) -> datetime:
    if isinstance(value, datetime):
        return as_utc(value)
    return as_utc(datetime.fromisoformat(str(value)))
