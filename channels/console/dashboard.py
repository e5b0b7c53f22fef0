"""The supervisor dashboard and the knowledge drafts (issue 16), beside the officer console.

Pages: ``GET /console/dashboard`` (supervisors) and ``GET /console/draft?ticket=<id>`` (any officer:
propose a knowledge entry from a resolved ticket). Same session cookie and CSRF header as the
console (channels/console/api.py). Routes (JSON; errors ``{"detail": zh-TW}``):

- ``GET /console/api/dashboard?from=YYYY-MM-DD&to=YYYY-MM-DD`` (Taipei days, both included; default
  the last 7 days) → {period, figures (``metrics.Dashboard``), topics, groups, charts: {name: svg}}.
  403 for an officer who is not a supervisor.
- ``GET /console/api/dashboard.csv?table=<name>&from=&to=`` → a CSV file (UTF-8 with BOM, for
  Excel): summary, reasons, topics, unanswered, daily, csat, feedback, close.
- ``POST /console/api/tickets/{id}/draft`` {title, topic, questions[3..12], answer, doc, rule} →
  {draft}; the ticket must be resolved. 422 with the fields at fault.
- ``GET /console/api/drafts?state=proposed|approved|rejected`` → {drafts} (supervisors).
- ``POST /console/api/drafts/{id}/review`` {approve: bool, note?} → {draft} (supervisors; 409 if
  reviewed already).
- ``GET /console/api/drafts/{id}/export`` → {entry_id, filename, entry_yaml, bench_yaml,
  catalogue_line} for an approved draft (supervisors; 409 if not approved).
"""
from __future__ import annotations

import asyncio
import csv
import io
import logging
import secrets
from datetime import date, datetime, time, timedelta
from typing import Any, Callable

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, JSONResponse, Response

from ..context import Context
from ..core import grouping, metrics
from ..core.store import NotFound, TicketState
from ..core.store.analytics import DraftReviewed
from . import charts, knowledge_export, labels
from .api import COOKIE, CSRF_HEADER, STATIC_DIR, ApiError, Auth, ConsoleRoute, _json_body

logger = logging.getLogger(__name__)

PAGES = {"dashboard": "dashboard.html", "draft": "draft.html"}
ASSETS = {"dashboard.js": "text/javascript; charset=utf-8", "dashboard.css": "text/css; charset=utf-8",
          "draft.js": "text/javascript; charset=utf-8"}
MAX_DAYS = 400
CSV_TABLES = ("summary", "reasons", "topics", "unanswered", "daily", "csat", "feedback", "close")


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value / 60:.1f}"


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


def router(ctx: Context) -> APIRouter:
    store, hours = ctx.store, ctx.hours
    r = APIRouter(route_class=ConsoleRoute)
    db = asyncio.to_thread

    # ---------------------------------------------------------------- sessions and roles
    async def session(request: Request) -> Auth:
        token = request.cookies.get(COOKIE, "")
        found = await db(store.session_officer, token) if token else None
        if found is None:
            raise ApiError(401, labels.MSG_LOGIN_REQUIRED)
        return Auth(found[0], found[1], token)

    def csrf(auth: Auth, request: Request) -> None:
        sent = request.headers.get(CSRF_HEADER, "")
        if not sent or not secrets.compare_digest(sent.encode(), auth.csrf_token.encode()):
            raise ApiError(403, labels.MSG_CSRF)

    async def supervisor(auth: Auth = Depends(session)) -> Auth:
        if not auth.officer.supervisor:
            raise ApiError(403, labels.MSG_SUPERVISORS_ONLY)
        return auth

    # ---------------------------------------------------------------- pages
    @r.get("/console/dashboard", include_in_schema=False)
    async def dashboard_page() -> Response:
        return FileResponse(STATIC_DIR / PAGES["dashboard"], media_type="text/html; charset=utf-8")

    @r.get("/console/draft", include_in_schema=False)
    async def draft_page() -> Response:
        return FileResponse(STATIC_DIR / PAGES["draft"], media_type="text/html; charset=utf-8")

    @r.get("/console/static/dash/{name}", include_in_schema=False)
    async def asset(name: str) -> Response:
        media_type = ASSETS.get(name)
        if media_type is None:
            raise ApiError(404, "Not Found")
        return FileResponse(STATIC_DIR / name, media_type=media_type)

    # ---------------------------------------------------------------- the dashboard
    def period(start: str | None, end: str | None) -> tuple[date, date]:
        today = ctx.clock().astimezone(hours.tz).date()
        try:
            last = date.fromisoformat(end) if end else today
            first = date.fromisoformat(start) if start else last - timedelta(days=6)
        except ValueError:
            raise ApiError(422, labels.MSG_BAD_PERIOD) from None
        if first > last or (last - first).days >= MAX_DAYS:
            raise ApiError(422, labels.MSG_BAD_PERIOD)
        return first, last

    def figures(first: date, last: date) -> metrics.Dashboard:
        start = datetime.combine(first, time(0), hours.tz)
        end = datetime.combine(last + timedelta(days=1), time(0), hours.tz)
        return metrics.compute(store, hours, start, end)

    def titles() -> dict[str, str]:
        try:
            from knowledge.loader import load_knowledge
            return {e.id: e.title for e in load_knowledge().entries}
        except Exception:   # a broken knowledge file must not take the dashboard down
            logger.exception("knowledge titles unavailable")
            return {}

    def embedder() -> Callable[[list[str]], Any] | None:
        embedder = ctx.assist.embedder()
        return embedder.embed_queries if embedder is not None else None

    def groups(d: metrics.Dashboard) -> tuple[list[dict[str, Any]], bool]:
        embed = None
        try:
            embed = embedder()
        except Exception:
            logger.exception("embedder unavailable: unanswered questions grouped by text")
        try:
            return grouping.group_questions(d.unanswered, embed), embed is not None
        except Exception:
            logger.exception("grouping by similarity failed: grouped by text")
            return grouping.group_questions(d.unanswered, None), False

    def chart_set(d: metrics.Dashboard, names: dict[str, str]) -> dict[str, str]:
        reason_rows = [(labels.HANDOFF_REASON_LABELS.get(k, k), v) for k, v in d.handoffs_by_reason.items()]
        topic_rows = [(names.get(e, e), n) for e, n in d.top_topics]
        csat_rows = [(labels.CSAT_SCORE_LABEL.format(score=k), v) for k, v in (d.csat.get("distribution") or {}).items()]
        waits = [(labels.FIG_LABELS[k], (d.queue_wait.get(k) or 0) / 60) for k in ("median", "p80")]
        waits += [(labels.FIG_LABELS["first_response"], (d.first_response.get("median") or 0) / 60),
                  (labels.FIG_LABELS["resolution"], (d.resolution.get("median") or 0) / 60)]
        daily = [(x["day"][5:], (x["questions"], x["handoffs"])) for x in d.daily]
        return {"daily": charts.column_chart(daily, labels.CHART_DAILY_SERIES, labels.CHART_DAILY),
                "reasons": charts.bar_chart(reason_rows, labels.CHART_REASONS, empty=labels.CHART_EMPTY),
                "topics": charts.bar_chart(topic_rows, labels.CHART_TOPICS, empty=labels.CHART_EMPTY),
                "waits": charts.bar_chart(waits, labels.CHART_WAITS, empty=labels.CHART_EMPTY),
                "csat": charts.bar_chart(csat_rows, labels.CHART_CSAT, empty=labels.CHART_EMPTY)}

    def build(first: date, last: date) -> dict[str, Any]:
        d = figures(first, last)
        names = titles()
        grouped, by_similarity = groups(d)
        body = d.to_json()
        body.pop("unanswered")
        return {"period": {"from": first.isoformat(), "to": last.isoformat()}, "figures": body,
                "topics": [{"entry_id": e, "title": names.get(e, e), "count": n} for e, n in d.top_topics],
                "groups": grouped, "grouped_by_similarity": by_similarity, "charts": chart_set(d, names)}

    @r.get("/console/api/dashboard")
    async def dashboard(request: Request, auth: Auth = Depends(supervisor)) -> Response:
        first, last = period(request.query_params.get("from"), request.query_params.get("to"))
        return JSONResponse(await db(build, first, last))

    def csv_rows(table: str, data: dict[str, Any]) -> list[list[Any]]:
        f = data["figures"]
        L = labels.CSV_HEADERS
        if table == "summary":
            rows = [[L["figure"], L["value"]]]
            rows += [[labels.FIG_LABELS[k], f[k]] for k in ("conversations", "user_messages", "messages",
                                                          "contained", "handoffs", "out_of_hours", "no_officer")]
            rows.append([labels.FIG_LABELS["containment"], _pct(f["containment"])])
            for key in ("queue_wait", "first_response", "resolution"):
                for stat in ("median", "mean", "p80"):
                    rows.append([f"{labels.FIG_LABELS[key]} {labels.FIG_LABELS[stat]} ({L['minutes']})",
                                 _seconds(f[key].get(stat))])
            rows += [[labels.FIG_LABELS["callbacks_" + k], v] for k, v in f["callbacks"].items()]
            rows.append([labels.FIG_LABELS["feedback_rate"], _pct(f["feedback"]["rate"])])
            rows.append([labels.FIG_LABELS["csat_mean"], "" if f["csat"]["mean"] is None else f"{f['csat']['mean']:.2f}"])
            return rows
        if table == "reasons":
            return [[L["reason"], L["count"]]] + [[labels.HANDOFF_REASON_LABELS.get(k, k), v]
                                                  for k, v in f["handoffs_by_reason"].items()]
        if table == "close":
            return [[L["close"], L["count"]]] + [[labels.CLOSE_LABELS.get(k, k), v] for k, v in f["close_reasons"].items()]
        if table == "topics":
            return [[L["entry_id"], L["title"], L["count"]]] + [[t["entry_id"], t["title"], t["count"]]
                                                                for t in data["topics"]]
        if table == "unanswered":
            rows = [[L["group"], L["count"], L["question"], L["question_count"]]]
            for i, g in enumerate(data["groups"], 1):
                rows += [[i, g["count"], q["text"], q["count"]] for q in g["questions"]]
            return rows
        if table == "daily":
            return [[L["day"], L["questions"], L["handoffs"]]] + [[x["day"], x["questions"], x["handoffs"]]
                                                                 for x in f["daily"]]
        if table == "csat":
            c = f["csat"]
            rows = [[L["figure"], L["value"]], [L["asked"], c["asked"]], [L["answered"], c["answered"]],
                    [L["skipped"], c["skipped"]], [L["mean"], "" if c["mean"] is None else f"{c['mean']:.2f}"]]
            return rows + [[labels.CSAT_SCORE_LABEL.format(score=k), v] for k, v in c["distribution"].items()]
        fb = f["feedback"]
        rows = [[L["kind"], L["up"], L["down"]]]
        rows += [[labels.KIND_LABELS.get(k, k), v["up"], v["down"]] for k, v in fb["by_kind"].items()]
        return rows + [[labels.REASON_LABELS.get(k, k), "", v] for k, v in fb["reasons"].items()]

    @r.get("/console/api/dashboard.csv")
    async def dashboard_csv(request: Request, auth: Auth = Depends(supervisor)) -> Response:
        table = request.query_params.get("table", "")
        if table not in CSV_TABLES:
            raise ApiError(422, labels.MSG_BAD_TABLE.format(tables=", ".join(CSV_TABLES)))
        first, last = period(request.query_params.get("from"), request.query_params.get("to"))
        data = await db(build, first, last)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        for row in csv_rows(table, data):
            writer.writerow(["'" + c if isinstance(c, str) and c[:1] in ("=", "+", "-", "@") else c for c in row])
        name = f"dashboard-{table}-{first.isoformat()}-{last.isoformat()}.csv"
        return Response("\ufeff" + out.getvalue(), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    # ---------------------------------------------------------------- knowledge drafts
    def draft_fields(data: dict[str, Any]) -> dict[str, Any]:
        def text_of(key: str) -> str:
            value = data.get(key)
            return value.replace("\r\n", "\n").strip() if isinstance(value, str) else ""
        questions = data.get("questions")
        qs = [q.strip() for q in questions if isinstance(q, str) and q.strip()] if isinstance(questions, list) else []
        fields = {"title": text_of("title"), "topic": text_of("topic"), "questions": qs,
                  "answer": text_of("answer"), "rule": text_of("rule"), "doc": text_of("doc") or "seed"}
        bad = knowledge_export.problems(**fields)
        if bad:
            raise ApiError(422, labels.MSG_DRAFT_FIELDS.format(
                fields=labels.LIST_SEPARATOR.join(labels.DRAFT_FIELD_LABELS[b] for b in bad)), fields=bad)
        return fields

    @r.post("/console/api/tickets/{ticket_id}/draft")
    async def propose(ticket_id: int, request: Request, auth: Auth = Depends(session)) -> Response:
        csrf(auth, request)
        fields = draft_fields(await _json_body(request, required=True))
        try:
            ticket = await db(store.ticket, ticket_id)
        except NotFound:
            raise ApiError(404, labels.MSG_NOT_FOUND) from None
        if ticket.state is not TicketState.RESOLVED:
            raise ApiError(409, labels.MSG_DRAFT_NOT_RESOLVED)
        rule = f"{fields.pop('doc')}|{fields.pop('rule')}"
        draft = await db(lambda: store.propose_draft(auth.officer.id, ticket_id, rule=rule, **fields))
        return JSONResponse({"draft": draft.to_json()})

    @r.get("/console/api/tickets/{ticket_id}/draft-context")
    async def draft_context(ticket_id: int, auth: Auth = Depends(session)) -> Response:
        """What the draft form starts from: the user's question and the officer's answers."""
        try:
            ticket = await db(store.ticket, ticket_id)
        except NotFound:
            raise ApiError(404, labels.MSG_NOT_FOUND) from None
        said = await db(store.ticket_messages, ticket_id, "officer")
        from knowledge.loader import SOURCE_DOCS, TOPICS
        return JSONResponse({"ticket": {"id": ticket.id, "state": ticket.state.value,
                                        "question": str(ticket.summary.get("last_question") or "")},
                             "officer_answers": [m.text for m in said], "topics": list(TOPICS),
                             "docs": list(SOURCE_DOCS)})

    @r.get("/console/api/drafts")
    async def drafts(request: Request, auth: Auth = Depends(supervisor)) -> Response:
        state = request.query_params.get("state")
        states = [state] if state in ("proposed", "approved", "rejected") else ["proposed", "approved", "rejected"]
        rows = await db(store.drafts, states)
        return JSONResponse({"drafts": [d.to_json() for d in rows]})

    @r.post("/console/api/drafts/{draft_id}/review")
    async def review(draft_id: int, request: Request, auth: Auth = Depends(supervisor)) -> Response:
        csrf(auth, request)
        data = await _json_body(request, required=True)
        approve, note = data.get("approve"), data.get("note")
        if not isinstance(approve, bool) or not (note is None or (isinstance(note, str) and len(note) <= 2000)):
            raise ApiError(422, labels.MSG_BAD_REQUEST)
        try:
            draft = await db(store.review_draft, draft_id, auth.officer.id, approve, note)
        except NotFound:
            raise ApiError(404, labels.MSG_DRAFT_NOT_FOUND) from None
        except DraftReviewed as exc:
            raise ApiError(409, labels.MSG_DRAFT_REVIEWED.format(state=labels.DRAFT_STATES.get(exc.state, exc.state))) \
                from None
        return JSONResponse({"draft": draft.to_json()})

    @r.get("/console/api/drafts/{draft_id}/export")
    async def export(draft_id: int, auth: Auth = Depends(supervisor)) -> Response:
        try:
            draft = await db(store.draft, draft_id)
        except NotFound:
            raise ApiError(404, labels.MSG_DRAFT_NOT_FOUND) from None
        if draft.state != "approved":
            raise ApiError(409, labels.MSG_DRAFT_NOT_APPROVED)
        question = None
        if draft.ticket_id is not None:
            ticket = await db(store.ticket, draft.ticket_id)
            question = str(ticket.summary.get("last_question") or "") or None
        return JSONResponse(knowledge_export.export(draft, question))

    return r
