"""POST /v1/feedback: rate an answer (up or down, reasons, a comment); one rating per answer and API key.

The organisation is the key's: the body names a conversation and an answer, never an organisation, so another
organisation's answers are not found (404) like ids that do not exist.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from app.api.auth import require
from app.api.deps import ServicesDep
from app.api.errors import doc
from assistant.application import feedback as app_feedback
from assistant.application.feedback import FeedbackInput
from assistant.application.policy import Capability
from domain.feedback import MAX_COMMENT_CHARS, MAX_REASONS, Feedback
from domain.orgs import Principal

router = APIRouter(prefix="/v1", tags=["chat"])

FeedbackGiver = Annotated[Principal, Depends(require(Capability.feedback))]


@router.post(
    "/feedback",
    response_model=Feedback,
    summary="Rate an answer",
    description=(
        "Thumbs up or down on one answer (`message_id` of its ChatResponse, in `conversation_id`), with optional "
        f"reasons (at most {MAX_REASONS}) and a comment (at most {MAX_COMMENT_CHARS} characters). Each API key "
        "has one rating per answer: posting again replaces it (`created_at` stays, `updated_at` moves). The stored "
        "record keeps a copy of the answer: question, answer, citations, tools, model and the knowledge base's "
        '"not found" decision with its judge scores. An answer of another organisation, an unknown id, or an '
        "answer of another conversation is 404. Feedback is deleted with its conversation and after the retention "
        "period (`FLUXORI_FEEDBACK_RETENTION_DAYS`, 365 days by default)."
    ),
    responses=doc(401, 403, 404, 413, 422, 429, 503),
)
def give_feedback(body: FeedbackInput, principal: FeedbackGiver, services: ServicesDep) -> Feedback:
    return app_feedback.give_feedback(services, principal, body)
