"""PayFast's payment notification (ITN): checked in PayFast's documented order, then applied once.

1. the source address is one of PayFast's (configurable ranges; behind a proxy, the address it appended);
2. the signature matches the posted fields (in their posted order) and our passphrase;
3. the merchant id is ours, and `m_payment_id` is a purchase we made;
4. `amount_gross` equals the purchase's total (the buyer controls the form, not the price);
5. PayFast's validate endpoint confirms the notification (`VALID`).
Only then is a COMPLETE applied: the purchase completed, its credits granted and its invoice issued in one
transaction (`domain.purchases`), so 50 copies of one notification grant once. FAILED and CANCELLED close the
purchase. A notification that fails a check grants nothing and says why: on the purchase when there is one (so
the buyer's page shows it), in the log always, and in the answer (a 4xx). A repeat of one already recorded gets
200, because PayFast re-sends until it does.
"""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass

import anyio

from assistant.application import audit
from assistant.billing import payfast
from assistant.billing.gateway import GatewayError
from assistant.billing.ports import BillingServices
from domain.audit import AuditAction
from domain.credits import as_credits
from domain.purchases import Party, Purchase, PurchaseStatus

log = logging.getLogger(__name__)
CLOSING: dict[str, PurchaseStatus] = {"FAILED": "failed", "CANCELLED": "cancelled"}


@dataclass(frozen=True)
class ItnOutcome:
    status_code: int  # what the caller gets: 200 once recorded, a 4xx when refused, 503 to be sent again
    outcome: str  # complete | duplicate | failed | cancelled | ignored | rejected | unavailable
    reason: str = ""
    purchase_id: str = ""


def source_allowed(services: BillingServices, address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(net, strict=False) for net in services.billing_settings.payfast_sources)


def client_address(peer: str, forwarded_for: str, trusted_hops: int) -> str:
    """The caller's address: the peer, or behind `trusted_hops` proxies the address the outermost one appended to
    X-Forwarded-For (entries before it are the caller's own claims and prove nothing)."""
    if trusted_hops <= 0:
        return peer
    hops = [part.strip() for part in forwarded_for.split(",") if part.strip()]
    return hops[-trusted_hops] if len(hops) >= trusted_hops else ""


def _refuse(code: int, reason: str, posted: dict[str, str], purchase_id: str = "") -> ItnOutcome:
    log.warning(
        "payfast notification refused: %s",
        reason,
        extra={"m_payment_id": posted.get("m_payment_id", ""), "pf_payment_id": posted.get("pf_payment_id", "")},
    )
    return ItnOutcome(code, "rejected", reason, purchase_id)


async def receive(services: BillingServices, posted_pairs: list[tuple[str, str]], source: str) -> ItnOutcome:
    posted = dict(posted_pairs)
    settings = services.billing_settings
    if not source_allowed(services, source):
        return _refuse(403, f"the notification came from {source or 'an unknown address'}, not from PayFast", posted)
    if not payfast.signature_matches(posted_pairs, settings.passphrase):
        return _refuse(400, "the signature does not match the posted fields", posted)
    if posted.get("merchant_id", "") != settings.payfast_merchant_id.get_secret_value():
        return _refuse(400, f"merchant id {posted.get('merchant_id', '')!r} is not ours", posted)
    m_payment_id, pf_payment_id = posted.get("m_payment_id", ""), posted.get("pf_payment_id", "")
    org_id = await anyio.to_thread.run_sync(services.purchases.org_of, m_payment_id)
    if org_id is None:
        return _refuse(404, f"there is no purchase with m_payment_id {m_payment_id!r}", posted)
    purchase = await anyio.to_thread.run_sync(services.purchases.get, org_id, m_payment_id)
    if purchase.status == "complete":
        return ItnOutcome(200, "duplicate", "", purchase.id)
    if purchase.status == "rejected" and purchase.pf_payment_id == pf_payment_id:
        return ItnOutcome(200, "rejected", purchase.reason, purchase.id)  # recorded already: PayFast may stop
    paid = payfast.amount_cents(posted.get("amount_gross", ""))
    if paid != purchase.total_cents:
        shown = payfast.amount_text(paid) if paid is not None else repr(posted.get("amount_gross", ""))
        reason = f"amount_gross {shown} differs from the purchase's R{payfast.amount_text(purchase.total_cents)}"
        return await _reject(services, purchase, reason, pf_payment_id, posted)
    try:
        confirmed = await services.payments.validate(payfast.itn_param_string(posted_pairs))
    except GatewayError as exc:  # not recorded: PayFast sends it again, and we ask again then
        log.warning("payfast validate unavailable: %s", exc, extra={"m_payment_id": m_payment_id})
        return ItnOutcome(503, "unavailable", str(exc), purchase.id)
    if not confirmed:
        return await _reject(
            services, purchase, "PayFast's validate endpoint did not answer VALID", pf_payment_id, posted
        )
    return await _apply(services, purchase, posted)


async def _reject(
    services: BillingServices, purchase: Purchase, reason: str, pf_payment_id: str, posted: dict[str, str]
) -> ItnOutcome:
    await anyio.to_thread.run_sync(
        services.purchases.close, purchase.org_id, purchase.id, "rejected", reason, pf_payment_id
    )
    return _refuse(400, reason, posted, purchase.id)


async def _apply(services: BillingServices, purchase: Purchase, posted: dict[str, str]) -> ItnOutcome:
    status, pf_payment_id = posted.get("payment_status", "").upper(), posted.get("pf_payment_id", "")
    if status in CLOSING:
        reason = f"PayFast reports the payment {status.lower()}"
        await anyio.to_thread.run_sync(
            services.purchases.close, purchase.org_id, purchase.id, CLOSING[status], reason, pf_payment_id
        )
        return ItnOutcome(200, CLOSING[status], reason, purchase.id)
    if status != "COMPLETE" or not pf_payment_id:
        return ItnOutcome(200, "ignored", f"payment_status {status or 'missing'}: nothing to do", purchase.id)
    settings = services.billing_settings
    supplier = Party(
        name=settings.supplier_name, address=settings.supplier_address, vat_number=settings.supplier_vat_number
    )
    org_name = (await anyio.to_thread.run_sync(services.orgs.get, purchase.org_id)).name
    token = posted.get("token", "") if purchase.tokenise or purchase.kind == "auto_topup" else ""
    done, completed = await anyio.to_thread.run_sync(
        lambda: services.purchases.complete(purchase.org_id, purchase.id, pf_payment_id, supplier, org_name, token)
    )
    if completed:
        log.info(
            "credits bought",
            extra={"org_id": purchase.org_id, "purchase_id": purchase.id, "invoice_number": done.invoice_number},
        )
        details = {
            "purchase_id": purchase.id,
            "pack": purchase.pack_id,
            "credits": as_credits(purchase.credits_mc),
            "buyer_key_id": purchase.buyer_key_id,  # who started the checkout; PayFast's notification completes it
            "pf_payment_id": pf_payment_id,
        }
        await anyio.to_thread.run_sync(
            lambda: audit.record(
                services,
                purchase.org_id,
                AuditAction.credits_bought,
                actor_key_id="payfast",
                role=audit.SYSTEM,
                target=done.invoice_number,
                details=details,
            )
        )
    return ItnOutcome(200, "complete" if completed else "duplicate", "", purchase.id)
