"""Server-sent events from the assistant's synchronous event iterator.

The service yields `StreamEvent`s from a LangGraph run, which is synchronous and keeps context variables
across its steps, so the iterator is driven by one thread from start to end (never resumed on whichever worker
thread is free) and its events, tokens included, are handed to the event loop through a queue as they come.
The caller says where that thread comes from (`start`: the chat pool of `app.api.capacity`); the turn starts
at once, before the response does.

If the client goes away, the thread still runs the turn to its end with nobody listening: the turn is then
settled (charged for what it did) and its answer stored under the request id, so retrying with the same
`X-Request-ID` returns it, instead of leaving a reservation open or a write half-confirmed.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import threading
from collections.abc import AsyncIterator, Callable, Iterator

from fastapi.sse import KEEPALIVE_COMMENT, format_sse_event

from assistant.contracts import StreamEvent
from domain.errors import DomainError, outage_of

log = logging.getLogger(__name__)
KEEPALIVE_SECONDS = 15.0
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def encode(event: StreamEvent) -> bytes:
    return format_sse_event(event=event.event, data_str=json.dumps(event.data, default=str, ensure_ascii=False))


def error_event(code: str, message: str, request_id: str) -> StreamEvent:
    return StreamEvent(event="error", data={"code": code, "message": message, "request_id": request_id})


def stream_events(
    events: Iterator[StreamEvent], request_id: str, start: Callable[[Callable[[], None]], None]
) -> AsyncIterator[bytes]:
    """Starts driving `events` now (`start` runs the driver on a thread, in a copy of the caller's context) and
    returns the encoded events as they arrive. Call it from the event loop."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[bytes | None] = asyncio.Queue()
    listening = threading.Event()
    listening.set()

    def put(item: bytes | None) -> None:
        if listening.is_set():
            try:
                loop.call_soon_threadsafe(queue.put_nowait, item)
            except RuntimeError:  # the loop is gone (server shutting down): nobody to tell
                listening.clear()

    def produce() -> None:
        try:
            for event in events:
                put(encode(event))
        except DomainError as exc:  # refused mid-turn (e.g. a conflict): the turn was refunded by the service
            put(encode(error_event(exc.code, exc.message, request_id)))
        except Exception as exc:
            if outage_of(exc) is not None:  # the database did not answer in time: a retry may well succeed
                log.warning("the database did not answer while streaming: %s", type(exc).__name__)
                code, message = "unavailable", "the database is not answering; nothing was charged. Retry shortly"
            else:
                log.exception("the assistant failed while streaming")
                code = "internal"
                message = (
                    "the assistant failed while answering; nothing was charged. Quote the request id if it persists"
                )
            put(encode(error_event(code, message, request_id)))
        finally:
            put(None)

    # The copied context carries the request id (and organisation) into the thread's log records.
    context = contextvars.copy_context()
    start(lambda: context.run(produce))
    return _drain(queue, listening)


async def _drain(queue: asyncio.Queue[bytes | None], listening: threading.Event) -> AsyncIterator[bytes]:
    try:
        while True:
            try:
                item = await asyncio.wait_for(queue.get(), timeout=KEEPALIVE_SECONDS)
            except TimeoutError:
                yield KEEPALIVE_COMMENT  # keeps proxies from closing an idle stream
                continue
            if item is None:
                return
            yield item
    finally:
        listening.clear()  # client gone or stream done: the thread finishes the turn on its own
