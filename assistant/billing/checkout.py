"""Checkout: a pending purchase of a pack, and the signed form that takes the buyer to PayFast's payment page."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, Field

from assistant.application.policy import Capability, check
from assistant.billing import payfast
from assistant.billing.packs import Pack, pack
from assistant.billing.ports import BillingServices
from assistant.billing.settings import BillingSettings
from domain.orgs import Principal
from domain.purchases import Purchase, PurchaseKind
from domain.store import utcnow

NOTIFY_PATH = "/v1/billing/payfast/notify"
RETURN_PATH = "/billing/return"


class Checkout(BaseModel):
    purchase_id: str
    m_payment_id: str
    process_url: str = Field(description="Where the buyer's browser posts `fields` (PayFast's payment page)")
    fields: dict[str, str] = Field(description="PayFast's checkout fields in its order, then `signature`")


def description(chosen: Pack) -> str:
    return f"Fluxori AI credits: {chosen.credits:,} credits ({chosen.id} pack)"


def new_purchase(
    org_id: str,
    chosen: Pack,
    vat_percent: int,
    kind: PurchaseKind = "checkout",
    tokenise: bool = False,
    buyer: str = "",
) -> Purchase:
    now = utcnow()
    return Purchase(
        id=uuid.uuid4().hex,  # also the m_payment_id: unguessable, so a return page can be reached by it alone
        org_id=org_id,
        kind=kind,
        pack_id=chosen.id,
        credits_mc=chosen.credits_mc,
        price_cents=chosen.price_cents,
        vat_cents=chosen.vat_cents,
        total_cents=chosen.total_cents,
        vat_percent=vat_percent,
        description=description(chosen),
        tokenise=tokenise,
        buyer_key_id=buyer,
        created_at=now,
        updated_at=now,
    )


def checkout_fields(settings: BillingSettings, purchase: Purchase) -> dict[str, str]:
    base = settings.public_url
    fields = {
        "merchant_id": settings.payfast_merchant_id.get_secret_value(),
        "merchant_key": settings.payfast_merchant_key.get_secret_value(),
        "return_url": f"{base}{RETURN_PATH}/{purchase.id}",
        "cancel_url": f"{base}{RETURN_PATH}/{purchase.id}?cancelled=1",
        "notify_url": f"{base}{NOTIFY_PATH}",
        "m_payment_id": purchase.id,
        "amount": payfast.amount_text(purchase.total_cents),
        "item_name": purchase.description[:100],  # PayFast's limit
        "item_description": f"{purchase.credits_mc // 1000:,} credits, VAT included",
    }
    if purchase.tokenise:
        fields["subscription_type"] = payfast.TOKENISATION
    return payfast.signed_checkout(fields, settings.passphrase)


def checkout(services: BillingServices, principal: Principal, pack_id: str, save_card: bool = False) -> Checkout:
    """A pending purchase of `pack_id` for the caller's organisation. `save_card`: PayFast keeps the card as a
    token for auto top-up (an ad hoc agreement)."""
    check(principal, Capability.billing)
    chosen = pack(services.prices, pack_id)
    purchase = new_purchase(
        principal.org_id, chosen, services.prices.billing.vat_percent, tokenise=save_card, buyer=principal.key_id
    )
    services.purchases.create(purchase)
    settings = services.billing_settings
    return Checkout(
        purchase_id=purchase.id,
        m_payment_id=purchase.id,
        process_url=settings.process_url,
        fields=checkout_fields(settings, purchase),
    )
