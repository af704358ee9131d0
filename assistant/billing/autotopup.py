"""Auto top-up: when a settlement takes the balance under the organisation's threshold, charge its saved card.

Once per crossing: the claim (`domain.purchases.claim_auto_topup`) disarms the rule in the transaction that
creates the purchase, so concurrent settlements under the threshold make one charge; the purchase's ITN grants
its credits like any purchase and re-arms the rule once the balance is above the threshold again. At most
`auto_topup_max_per_month` charges a SAST month. Without a saved card nothing is charged (admins see the
low-balance banner).
"""

from __future__ import annotations

import logging

from pydantic import BaseModel, Field

from assistant.application.policy import Capability, check
from assistant.billing.checkout import new_purchase
from assistant.billing.gateway import GatewayError
from assistant.billing.packs import pack
from assistant.billing.ports import BillingServices
from domain.credits import MC_PER_CREDIT, SAST
from domain.errors import InvalidInput
from domain.orgs import Principal
from domain.purchases import AutoTopUp, BillingProfile, Purchase
from domain.store import utcnow

log = logging.getLogger(__name__)
MAX_VAT_NUMBER_CHARS = 20


class AutoTopUpRequest(BaseModel):
    threshold_credits: int = Field(gt=0, le=10_000_000, description="Top up when the balance falls below this")
    pack: str = Field(description="The pack to buy, from GET /v1/billing/packs")


class BillingSettingsRequest(BaseModel):
    vat_number: str = Field("", max_length=MAX_VAT_NUMBER_CHARS, description="Your VAT number, for your invoices")
    auto_topup: AutoTopUpRequest | None = Field(None, description="null: no auto top-up")


def configure(services: BillingServices, principal: Principal, request: BillingSettingsRequest) -> BillingProfile:
    check(principal, Capability.billing)
    vat_number = request.vat_number.strip()
    if vat_number and not (vat_number.isdigit() and len(vat_number) == 10 and vat_number.startswith("4")):
        raise InvalidInput("a South African VAT number has 10 digits and starts with 4")
    rule = None
    if request.auto_topup is not None:
        pack(services.prices, request.auto_topup.pack)  # an unknown pack is refused now, not at the crossing
        rule = AutoTopUp(
            threshold_mc=request.auto_topup.threshold_credits * MC_PER_CREDIT, pack_id=request.auto_topup.pack
        )
    return services.purchases.set_profile(principal.org_id, vat_number, rule)


def after_settlement(services: BillingServices, org_id: str, balance_mc: int) -> Purchase | None:
    """Charge the saved card if this balance crossed the threshold; the purchase charged, else None."""
    profile = services.purchases.profile(org_id)  # one read: most settlements stop here (the claim checks again)
    rule = profile.auto_topup
    if rule is None or not profile.token or not profile.armed or balance_mc >= rule.threshold_mc:
        return None
    chosen = pack(services.prices, rule.pack_id)
    month = f"{utcnow().astimezone(SAST):%Y-%m}"
    purchase = new_purchase(org_id, chosen, services.prices.billing.vat_percent, kind="auto_topup")
    limit = services.billing_settings.auto_topup_max_per_month
    claimed = services.purchases.claim_auto_topup(org_id, month, limit, purchase)
    if claimed is None:
        return None
    try:
        services.payments.charge_token(profile.token, claimed.total_cents, claimed.description[:100], claimed.id)
    except GatewayError as exc:
        log.warning("auto top-up charge failed: %s", exc, extra={"org_id": org_id, "purchase_id": claimed.id})
        services.purchases.close(org_id, claimed.id, "failed", f"the saved card could not be charged: {exc}")
        services.purchases.rearm(org_id)
        return None
    log.info("auto top-up charged", extra={"org_id": org_id, "purchase_id": claimed.id, "pack": chosen.id})
    return claimed
