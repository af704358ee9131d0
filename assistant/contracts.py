"""What the assistant service takes and returns: the contract between the agent and its callers (API, UI, CLI)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field, StrictBool

from domain.orgs import Principal

ORG_LABEL = "org_id"  # the metadata key of a turn's organisation, and the label of its Vertex AI calls


class ChatRequest(BaseModel):
    message: str = Field(min_length=1, description="What the user asks or tells the assistant")
    conversation_id: str | None = Field(
        default=None, pattern=r"^[A-Za-z0-9_-]{1,64}$", description="Continue this conversation; omit to start one"
    )


class ConfirmRequest(BaseModel):
    confirmation_id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    approve: StrictBool = Field(description="true runs the change, false drops it (a JSON boolean, nothing else)")


class Citation(BaseModel):
    """One source an answer cites; an answer's `[n]` is `citations[n-1]`."""

    source: str = Field(description="Where it comes from: a KB file, `product:SKU` or `order:NUMBER`")
    title: str = Field(description="Article title, product title or order label")
    snippet: str = ""
    doc_id: str = Field(default="", description="A KB article's id: read it whole at GET /v1/kb/{doc_id}")
    heading_path: list[str] = Field(
        default_factory=list, description="The cited section's headings under the title (the title not repeated)"
    )


ActionStatus = Literal["executed", "needs_confirmation", "rejected", "refused"]


class Action(BaseModel):
    tool: str
    args: dict[str, Any] = Field(default_factory=dict)
    status: ActionStatus
    result: Any = None


class PendingConfirmation(BaseModel):
    id: str
    summary: str = Field(description="What will change, in words")


class Usage(BaseModel):
    input_tokens: int = 0
    output_tokens: int = 0
    tool_calls: int = 0
    credits_charged: float = 0.0


class ChatResponse(BaseModel):
    conversation_id: str
    message_id: str = Field(
        default="",  # only in a response stored before answers had ids (a retry within their 7 days)
        description="This answer's id, made once per turn (a retried request gets the same one): rate the answer "
        "with it at POST /v1/feedback",
    )
    answer: str
    citations: list[Citation] = Field(default_factory=list)
    actions: list[Action] = Field(default_factory=list)
    pending_confirmation: PendingConfirmation | None = None
    usage: Usage = Field(default_factory=Usage)
    credits_balance: float


class StreamEvent(BaseModel):
    """One server-sent event: `token` (text delta), `tool_call`, `tool_result`, `confirmation`, `final`, `error`."""

    event: Literal["token", "tool_call", "tool_result", "confirmation", "final", "error"]
    data: dict[str, Any]


class AssistantService(Protocol):
    """`stream` and `stream_confirm` refuse (credits, quota, roles) before they return the iterator."""

    def chat(self, principal: Principal, request: ChatRequest, request_id: str) -> ChatResponse: ...

    def stream(self, principal: Principal, request: ChatRequest, request_id: str) -> Iterator[StreamEvent]: ...

    def confirm(self, principal: Principal, request: ConfirmRequest, request_id: str) -> ChatResponse: ...

    def stream_confirm(
        self, principal: Principal, request: ConfirmRequest, request_id: str
    ) -> Iterator[StreamEvent]: ...
