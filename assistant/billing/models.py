"""What a monthly statement states: the figures of one organisation's ledger over one SAST month."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class UsageLine(BaseModel):
    name: str = Field(description="A model, a tool or an API key id")
    questions: int
    credits_mc: int


class StatementPurchase(BaseModel):
    at: datetime
    invoice_number: str
    description: str
    credits_mc: int
    total_cents: int = Field(description="What was paid, VAT included")


class Statement(BaseModel):
    """Reconciles: closing = opening + purchases + grants - usage + held_at_start - held_at_end, to the
    millicredit, and `reconciled` says whether that equals the balance the ledger shows at the month's end.
    `held_*` are credits reserved by questions still being answered at that moment (given back or charged after).
    """

    org_id: str
    org_name: str
    month: str = Field(description="YYYY-MM, in SAST")
    period_start: datetime
    period_end: datetime = Field(description="Exclusive; or now, for the current month")
    generated_at: datetime
    opening_mc: int
    purchases_mc: int
    purchases: list[StatementPurchase]
    grants_mc: int = Field(description="Credits granted by an admin (not bought)")
    usage_mc: int = Field(description="What the month's answered questions were charged")
    questions: int
    refunded_questions: int = Field(description="Stopped or failed: given back in full, nothing charged")
    usage_by_model: list[UsageLine]
    usage_by_tool: list[UsageLine] = Field(description="Tool-call credits per tool; the rest is model tokens")
    usage_by_key: list[UsageLine]
    held_at_start_mc: int
    held_at_end_mc: int
    closing_mc: int
    ledger_closing_mc: int = Field(description="The balance after the ledger's last entry of the period")
    reconciled: bool
