"""POST /v1/chat and /v1/chat/confirm: a conversation turn, as JSON or as server-sent events."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from fastapi import APIRouter, Request
from fastapi.sse import EventSourceResponse

from app.api.capacity import ChatCapacity
from app.api.deps import CapacityDep, ChatCaller, ConfirmCaller, ServicesDep
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


async def _answer(
    capacity: ChatCapacity,
    request: Request,
    turn: Callable[[], ChatResponse],
    start_stream: Callable[[], Iterator[StreamEvent]],
) -> ChatResponse | EventSourceResponse:
    """One turn on the chat pool, under a slot of the instance's bound (503 + Retry-After beyond it). A streamed
    turn keeps its slot until the run ends; its refusals (credits, quota) come before the stream, as HTTP errors."""
    if not wants_stream(request):
        return await capacity.run(turn)
    capacity.acquire()
    try:
        events = await capacity.call(start_stream)  # reserves credits: blocking Firestore calls, off the loop
        body = stream_events(events, request_id_of(request), start=capacity.start)
    except BaseException:
        capacity.release()
        raise
    return EventSourceResponse(body, headers=SSE_HEADERS)


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
async def chat(
    body: ChatRequest, request: Request, principal: ChatCaller, services: ServicesDep, capacity: CapacityDep
) -> ChatResponse | EventSourceResponse:
    request_id = request_id_of(request)
    return await _answer(  # `services.assistant` in the pool too: the first use builds it (loads the model)
        capacity,
        request,
        lambda: services.assistant.chat(principal, body, request_id),
        lambda: services.assistant.stream(principal, body, request_id),
    )


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
async def confirm(
    body: ConfirmRequest, request: Request, principal: ConfirmCaller, services: ServicesDep, capacity: CapacityDep
) -> ChatResponse | EventSourceResponse:
    request_id = request_id_of(request)
    return await _answer(
        capacity,
        request,
        lambda: services.assistant.confirm(principal, body, request_id),
        lambda: services.assistant.stream_confirm(principal, body, request_id),
    )
