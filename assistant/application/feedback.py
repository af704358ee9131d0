"""Feedback on an answer, as the API (`POST /v1/feedback`) and the UI give it: a rating, reasons and a comment on
one answer (its `message_id`) of one conversation, by the caller's key, in the caller's organisation.

The organisation is the caller's (from the API key), never the request's: an answer of another organisation is
not found, exactly like an id that does not exist. So is an answer of this organisation named with another
conversation than its own.
"""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel, Field

from assistant.application.policy import Capability, check
from assistant.ports import AnswerLog, FeedbackLog
from domain.errors import NotFound
from domain.feedback import MAX_COMMENT_CHARS, MAX_REASONS, Feedback, Rating, Reason
from domain.orgs import Principal

ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"


class FeedbackInput(BaseModel):
    """What a rating says; validated here, at the edge (API body, UI form), so a bad one never reaches a store."""

    conversation_id: str = Field(pattern=ID_PATTERN, description="The conversation the answer is part of")
    message_id: str = Field(pattern=ID_PATTERN, description="The answer's `message_id` (from its ChatResponse)")
    rating: Rating = Field(description="`up` or `down`")
    reasons: list[Reason] = Field(
        default_factory=list,
        max_length=MAX_REASONS,
        description=f"Why, at most {MAX_REASONS}: " + ", ".join(f"`{r.value}`" for r in Reason),
    )
    comment: str = Field(default="", max_length=MAX_COMMENT_CHARS, description="In the rater's words")


class FeedbackServices(Protocol):
    """What rating needs of the composition root (`assistant.ports.Repositories` has both)."""

    @property
    def answer_log(self) -> AnswerLog: ...

    @property
    def feedback(self) -> FeedbackLog: ...


def give_feedback(services: FeedbackServices, principal: Principal, request: FeedbackInput) -> Feedback:
    """Store the caller's key's rating of the answer (replacing its earlier one) and return it."""
    check(principal, Capability.feedback)
    answer = services.answer_log.get(principal.org_id, request.message_id)
    if answer.conversation_id != request.conversation_id:
        raise NotFound(f"conversation {request.conversation_id!r} has no answer with message id {request.message_id!r}")
    return services.feedback.rate(
        principal.org_id,
        answer,
        key_id=principal.key_id,
        role=principal.role.value,
        rating=request.rating,
        reasons=request.reasons,
        comment=request.comment,
    )
