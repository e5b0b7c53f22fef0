"""The widget API's bodies as Pydantic models: the contract in the OpenAPI schema (``/openapi.json``,
``/docs``) and the type the route works with. The route still checks the request by hand first, in a
fixed order, so each mistake gets its own zh-TW message (channels/texts.py) in ``{"detail": ...}``;
tests check that every answer the API gives validates against these models."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..texts import WIDGET_EXAMPLE_QUESTION

SESSION_PATTERN = r"^[A-Za-z0-9_-]{16,64}$"
CLIENT_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
MAX_REQUEST_TEXT = 20_000
MAX_PAYLOAD = 500


class SendRequest(BaseModel):
    """``POST /api/widget/messages``: one user message."""
    model_config = ConfigDict(extra="ignore", json_schema_extra={
        "examples": [{"session_id": "3f9c2a7e5b1d4c8fa0e1", "text": WIDGET_EXAMPLE_QUESTION}]})

    session_id: str = Field(pattern=SESSION_PATTERN,
                            description="The conversation's random key (16–64 letters, digits, _ or -)")
    text: str = Field(min_length=1, max_length=MAX_REQUEST_TEXT,
                      description="The user's message (a button's title when payload is given); longer "
                                  "than 1000 characters it is cut and the user is told")
    payload: str | None = Field(None, max_length=MAX_PAYLOAD, description="A pressed button's payload")
    client_id: str | None = Field(None, pattern=CLIENT_ID_PATTERN,
                                  description="The client's id for this message: a resend is stored once")


class Message(BaseModel):
    """A stored message (``MessageView.to_json``)."""
    id: int
    direction: Literal["in", "out"]
    author: Literal["user", "bot", "officer", "system"]
    officer: str | None = Field(None, description="The officer's display name (officer messages)")
    text: str
    payload: dict[str, Any] | None = Field(
        None, description="buttons [{title, payload}], custom (calc_result with its card, handoff_state), kind")
    created_at: datetime
    reply_to: int | None = Field(None, description="The user message this answers")


class Handoff(BaseModel):
    state: Literal["awaiting_contact", "waiting", "with_officer", "callback"]
    officer: str | None = None


class SendResponse(BaseModel):
    messages: list[Message] = Field(description="The answers to this message (already stored)")
    user_message: Message | None = Field(description="The stored user message; null for a resend")
    handoff: Handoff | None
    duplicate: bool | None = Field(None, description="Present (true) when client_id was seen before")


class HistoryResponse(BaseModel):
    messages: list[Message]
    handoff: Handoff | None


class ErrorResponse(BaseModel):
    detail: str = Field(description="What is wrong, in zh-TW, for the user or the integrator")


ERRORS: dict[int | str, dict[str, Any]] = {
    413: {"model": ErrorResponse, "description": "The message is too long"},
    422: {"model": ErrorResponse, "description": "A field is missing or malformed (zh-TW detail)"},
    429: {"model": ErrorResponse, "description": "Too many messages; Retry-After says when to try again"},
}


def request_body_schema() -> dict[str, Any]:
    """The OpenAPI requestBody of ``POST /api/widget/messages`` (the route reads the body itself)."""
    return {"requestBody": {"required": True, "content": {"application/json": {
        "schema": SendRequest.model_json_schema(ref_template="#/components/schemas/{model}")}}}}
