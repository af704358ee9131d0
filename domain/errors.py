"""Domain errors. Each carries a message meant for the person who asked, saying what to fix."""

from __future__ import annotations

from google.api_core import exceptions as gexc

# What Firestore raises when it cannot be reached or does not answer in time (after its own retries, which
# domain.store bounds): the API answers these with 503 and Retry-After, not 500.
OUTAGE_ERRORS: tuple[type[BaseException], ...] = (
    gexc.RetryError,
    gexc.ServiceUnavailable,
    gexc.DeadlineExceeded,
    gexc.GatewayTimeout,
)


def outage_of(exc: BaseException | None) -> BaseException | None:
    """The outage error behind `exc` (itself, or what it wraps), or None when `exc` is something else."""
    for candidate in (exc, getattr(exc, "__cause__", None), getattr(exc, "__context__", None)):
        if isinstance(candidate, OUTAGE_ERRORS):
            return candidate
    return None


class DomainError(Exception):
    """Base of every refusal the domain makes; nothing was written when one is raised."""

    code = "domain_error"

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(DomainError):
    code = "not_found"


class InvalidInput(DomainError):
    code = "invalid_input"


class InsufficientStock(DomainError):
    code = "insufficient_stock"


class IllegalTransition(DomainError):
    code = "illegal_transition"


class InsufficientCredits(DomainError):
    code = "insufficient_credits"


class QuotaExceeded(DomainError):
    code = "quota_exceeded"

    def __init__(self, message: str, retry_after_seconds: int, **details: object) -> None:
        super().__init__(message, retry_after_seconds=retry_after_seconds, **details)
        self.retry_after_seconds = retry_after_seconds


class Conflict(DomainError):
    """The same key was used for a different request, or the record already exists."""

    code = "conflict"


class ContentionError(DomainError):
    """A transaction kept colliding with concurrent writers and gave up."""

    code = "contention"
