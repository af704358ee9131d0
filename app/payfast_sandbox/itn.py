"""The ITN PayFast posts to notify_url: its fields in PayFast's order, the fee PayFast keeps, the signature."""

from __future__ import annotations

from collections.abc import Mapping

from app.payfast_sandbox.ledger import PaymentStatus
from assistant.billing.payfast import amount_text, itn_signature

CUSTOM_FIELDS = (*(f"custom_str{i}" for i in range(1, 6)), *(f"custom_int{i}" for i in range(1, 6)))
BUYER_FIELDS = ("name_first", "name_last", "email_address")


def fee_cents(gross_cents: int) -> int:
    """What PayFast keeps of a card payment in this sandbox: 3.5% (rounded half up to the cent) plus R2.00."""
    return (gross_cents * 35 + 500) // 1000 + 200


def itn_pairs(
    source: Mapping[str, str],
    *,
    pf_payment_id: str,
    status: PaymentStatus,
    gross_cents: int,
    merchant_id: str,
    token: str | None,
) -> list[tuple[str, str]]:
    """The ITN's fields without the signature. `source` is the checkout (or the ad hoc charge) being paid; PayFast
    posts every field, the empty ones too, and its fee only on a payment that went through."""
    fee = fee_cents(gross_cents) if status == "COMPLETE" else 0
    pairs = [
        ("m_payment_id", source.get("m_payment_id", "")),
        ("pf_payment_id", pf_payment_id),
        ("payment_status", status),
        ("item_name", source.get("item_name", "")),
        ("item_description", source.get("item_description", "")),
        ("amount_gross", amount_text(gross_cents)),
        ("amount_fee", f"-{amount_text(fee)}" if fee else amount_text(0)),
        ("amount_net", amount_text(gross_cents - fee)),
        *((name, source.get(name, "")) for name in (*CUSTOM_FIELDS, *BUYER_FIELDS)),
        ("merchant_id", merchant_id),
    ]
    if token is not None:
        pairs.append(("token", token))
    return [(key, value.strip()) for key, value in pairs]


def signed(pairs: list[tuple[str, str]], passphrase: str | None) -> list[tuple[str, str]]:
    return [*pairs, ("signature", itn_signature(pairs, passphrase))]
