"""POST /v1/chat and /v1/chat/confirm: a conversation turn, as JSON or as server-sent events."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter, Request
from fastapi.sse import EventSourceResponse

from app.api.deps import ChatCaller, ConfirmCaller, ServicesDep
from app.api.errors import doc, request_id_of
from app.api.sse import SSE_HEADERS, stream_events
from assistant.contracts import ChatRequest, ChatResponse, ConfirmRequest, StreamEvent

router = APIRouter(prefix="/v1", tags=["chat"])

_SSE_DOC = (
    "With `Accept: text/event-stream` the answer streams as server-sent events: `token` (`{text}`), "
    "`tool_call` (`{tool, args}`), `tool_result` (`{tool, status}`), `confirmation` (`{id, summary}`), then "
    "`final` (the ChatResponse, with usage) - or `error` (`{code, message, request_id}`) if the turn fails "
    "after streaming began. Refusals before the turn starts (401/402/403/422/429) are ordinary HTTP errors."
)
_STREAM_CONTENT = {
    "text/event-stream": {
        "schema": {"type": "string", "description": "event: <name>\\ndata: <JSON>\\n\\n, repeated"},
    }
}
_TURN_DOC = "A retried request (same `X-Request-ID`) returns the first answer and is charged once."


def wants_stream(request: Request) -> bool:
    return "text/event-stream" in request.headers.get("accept", "").lower()


def _stream(events: Iterator[StreamEvent], request_id: str) -> EventSourceResponse:
    return EventSourceResponse(stream_events(events, request_id), headers=SSE_HEADERS)


@router.post(
    "/chat",
    response_model=ChatResponse,
    summary="Ask the assistant (JSON or server-sent events)",
    description=(
        "One turn of a conversation, charged to the organisation's AI credits (reserved before, settled after). "
        "Merchants get the full assistant (answers, reads, proposed writes that wait for a confirmation); "
        "support keys get knowledge-base answers only. " + _TURN_DOC + "\n\n" + _SSE_DOC
    ),
    responses={200: {"content": _STREAM_CONTENT}, **doc(401, 402, 403, 409, 413, 422, 429)},
)
def chat(
    body: ChatRequest, request: Request, principal: ChatCaller, services: ServicesDep
) -> ChatResponse | EventSourceResponse:
    assistant = services.assistant
    request_id = request_id_of(request)
    if wants_stream(request):
        # `stream` reserves credits (and raises its refusals) before it returns the iterator: errors stay HTTP.
        return _stream(assistant.stream(principal, body, request_id), request_id)
    return assistant.chat(principal, body, request_id)


@router.post(
    "/chat/confirm",
    response_model=ChatResponse,
    summary="Approve or reject a proposed change",
    description=(
        "Runs (approve) or drops (reject) the write the assistant proposed in `pending_confirmation`. A "
        "confirmation of another organisation, or one already handled, is not found (404) or a conflict (409); "
        "an expired one changes nothing (409). " + _TURN_DOC + " Streams like /v1/chat with "
        "`Accept: text/event-stream`."
    ),
    responses={200: {"content": _STREAM_CONTENT}, **doc(401, 402, 403, 404, 409, 413, 422, 429)},
)
def confirm(
    body: ConfirmRequest, request: Request, principal: ConfirmCaller, services: ServicesDep
) -> ChatResponse | EventSourceResponse:
    assistant = services.assistant
    request_id = request_id_of(request)
    if wants_stream(request):
        return _stream(assistant.stream_confirm(principal, body, request_id), request_id)
    return assistant.confirm(principal, body, request_id)
