"""Billing as the API and the UI show it: the caller's own organisation, checked by role."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from assistant.application.policy import Capability, check
from assistant.billing import statements
from assistant.billing.models import Statement
from assistant.billing.packs import Pack, packs
from assistant.billing.ports import BillingServices
from domain.credits import as_credits
from domain.orgs import Principal
from domain.purchases import BillingProfile, Invoice, Purchase, PurchaseStatus


class PurchaseView(BaseModel):
    purchase_id: str
    status: PurchaseStatus
    reason: str = Field(description="Why it failed or was rejected (empty otherwise)")
    pack: str
    credits: float
    total_cents: int
    invoice_number: str = Field(description="Set once the purchase is complete")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, purchase: Purchase) -> PurchaseView:
        return cls(
            purchase_id=purchase.id,
            status=purchase.status,
            reason=purchase.reason,
            pack=purchase.pack_id,
            credits=as_credits(purchase.credits_mc),
            total_cents=purchase.total_cents,
            invoice_number=purchase.invoice_number,
            created_at=purchase.created_at,
            updated_at=purchase.updated_at,
        )


class InvoiceItem(BaseModel):
    number: str
    issued_at: datetime
    description: str
    credits: float
    price_cents: int = Field(description="Excluding VAT")
    vat_cents: int
    total_cents: int
    pdf_url: str

    @classmethod
    def of(cls, invoice: Invoice) -> InvoiceItem:
        return cls(
            number=invoice.number,
            issued_at=invoice.issued_at,
            description=invoice.description,
            credits=as_credits(invoice.credits_mc),
            price_cents=invoice.price_cents,
            vat_cents=invoice.vat_cents,
            total_cents=invoice.total_cents,
            pdf_url=f"/v1/billing/invoices/{invoice.number}.pdf",
        )


class BillingSettingsView(BaseModel):
    vat_number: str
    auto_topup: dict[str, int | str] | None = Field(description="{threshold_credits, pack}, or null")
    card_saved: bool = Field(description="A tokenised purchase left a card to charge for auto top-up")

    @classmethod
    def of(cls, profile: BillingProfile) -> BillingSettingsView:
        rule = profile.auto_topup
        return cls(
            vat_number=profile.vat_number,
            auto_topup={"threshold_credits": rule.threshold_mc // 1000, "pack": rule.pack_id} if rule else None,
            card_saved=bool(profile.token),
        )


def list_packs(services: BillingServices, principal: Principal) -> list[Pack]:
    check(principal, Capability.credits_view)
    return packs(services.prices)


def purchase(services: BillingServices, principal: Principal, purchase_id: str) -> PurchaseView:
    check(principal, Capability.billing)
    return PurchaseView.of(services.purchases.get(principal.org_id, purchase_id))


def purchases(services: BillingServices, principal: Principal, limit: int = 20) -> list[PurchaseView]:
    check(principal, Capability.billing)
    return [PurchaseView.of(p) for p in services.purchases.list(principal.org_id, limit)]


def invoices(services: BillingServices, principal: Principal) -> list[InvoiceItem]:
    check(principal, Capability.billing)
    return [InvoiceItem.of(invoice) for invoice in services.purchases.invoices(principal.org_id)]


def invoice(services: BillingServices, principal: Principal, number: str) -> Invoice:
    check(principal, Capability.billing)
    return services.purchases.invoice(principal.org_id, number)


def statement(services: BillingServices, principal: Principal, month: str) -> Statement:
    check(principal, Capability.billing)
    return statements.statement(services, principal.org_id, month)


def settings(services: BillingServices, principal: Principal) -> BillingSettingsView:
    check(principal, Capability.billing)
    return BillingSettingsView.of(services.purchases.profile(principal.org_id))


def low_balance(services: BillingServices, balance_mc: int) -> bool:
    """Whether the balance is under the level at which merchants are told to ask their admin."""
    return balance_mc < services.billing_settings.low_balance_credits * 1000
