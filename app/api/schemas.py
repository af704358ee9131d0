"""Response and request bodies of the API that are not the assistant's own contract (`assistant.contracts`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from assistant.application.job_records import IngestJob, JobFile, JobProgress
from domain.credits import Account, LedgerEntry, as_credits
from ingestion.models import IngestReport


class LedgerItem(BaseModel):
    id: str
    kind: str = Field(description="grant, reserve, settle or refund")
    amount: float = Field(description="Change of the balance in credits: positive adds, negative takes")
    balance_after: float
    request_id: str = ""
    note: str = ""
    details: dict[str, Any] = Field(default_factory=dict, description="Model, tokens and tools of a settled call")
    created_at: datetime

    @classmethod
    def of(cls, entry: LedgerEntry) -> LedgerItem:
        return cls(
            id=entry.id,
            kind=entry.kind.value,
            amount=as_credits(entry.amount_mc),
            balance_after=as_credits(entry.balance_after_mc),
            request_id=entry.request_id,
            note=entry.note,
            details=entry.details,
            created_at=entry.created_at,
        )


class CreditsView(BaseModel):
    org_id: str
    balance: float = Field(description="Credits left (1 credit = R0.10)")
    daily_quota: float = Field(description="Most credits the organisation may use per day (resets midnight SAST)")
    used_today: float
    remaining_today: float
    ledger: list[LedgerItem] = Field(description="Most recent entries first")
    daily_usage: dict[str, float] = Field(description="Credits used per day (SAST), last 30 days")

    @classmethod
    def of(cls, account: Account, ledger: list[LedgerEntry], usage: dict[str, int]) -> CreditsView:
        return cls(
            org_id=account.org_id,
            balance=as_credits(account.balance_mc),
            daily_quota=as_credits(account.daily_quota_mc),
            used_today=as_credits(account.used_today_mc),
            remaining_today=as_credits(max(0, account.daily_quota_mc - account.used_today_mc)),
            ledger=[LedgerItem.of(e) for e in ledger],
            daily_usage={day: as_credits(mc) for day, mc in sorted(usage.items())},
        )


class GrantRequest(BaseModel):
    # strict: money is a JSON number, never `true` or "10" coerced into one
    credits: float = Field(strict=True, gt=0, le=1_000_000, description="Credits to add (up to 3 decimals)")
    idempotency_key: str = Field(
        pattern=r"^[A-Za-z0-9._:-]{1,100}$",
        description="Unique per top-up: the same key never grants twice (a retry is answered with the first grant)",
    )
    note: str = Field(default="", max_length=500)


class GrantResult(BaseModel):
    entry: LedgerItem
    balance: float


class SearchHitOut(BaseModel):
    chunk_id: str
    doc_type: Literal["kb", "product", "order"]
    source: str = Field(description="What a citation shows: KB file path, `product:SKU`, `order:NUMBER`")
    title: str
    heading_path: list[str] = Field(default_factory=list)
    text: str
    score: float
    metadata: dict[str, Any] = Field(default_factory=dict)


class SearchResults(BaseModel):
    query: str
    type: Literal["kb", "product", "order"] | None = None
    hits: list[SearchHitOut]


class IngestJobOut(BaseModel):
    """An ingestion job as its organisation's admins see it (`assistant.application.job_records.IngestJob`)."""

    job_id: str
    org_id: str
    status: Literal["queued", "running", "done", "failed"]
    files: list[JobFile] = Field(description="The files of this upload and what the run did with each")
    progress: JobProgress
    report: IngestReport | None = Field(
        default=None, description="The run's report once done; `failures` name each failed file with its reason"
    )
    error: str | None = Field(default=None, description="Why the job failed as a whole")
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None

    @classmethod
    def of(cls, job: IngestJob) -> IngestJobOut:
        return cls(job_id=job.id, **job.model_dump(include=set(cls.model_fields) - {"job_id"}))


class HealthStatus(BaseModel):
    status: str


class ReadyStatus(BaseModel):
    status: Literal["ready", "not ready"]
    checks: dict[str, str]
