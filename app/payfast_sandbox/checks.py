"""What PayFast checks before it takes a payment or an API call, each refusal worded for the developer."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from datetime import datetime
from urllib.parse import urlsplit

from assistant.billing.payfast import (
    API_VERSION,
    CHECKOUT_ORDER,
    TOKENISATION,
    amount_cents,
    api_signature,
    checkout_signature,
)

MIN_AMOUNT_CENTS = 500  # PayFast's smallest payment, R5.00
URL_FIELDS = ("return_url", "cancel_url", "notify_url")
REQUIRED = ("merchant_id", "merchant_key", "amount", "item_name")


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.strip().encode(), expected.encode())


def _is_web_url(value: str) -> bool:
    parts = urlsplit(value.strip())
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def checkout_problems(
    fields: Mapping[str, str], signature: str, merchant_id: str, merchant_key: str, passphrase: str | None
) -> list[str]:
    """Why PayFast would refuse this checkout (`fields` without `signature` and `action`); empty when it is fine."""
    unknown = sorted(set(fields) - set(CHECKOUT_ORDER))
    if unknown:
        return [f"PayFast does not know the field(s) {', '.join(unknown)}"]
    problems = [f"{name} is missing" for name in REQUIRED if not fields.get(name, "").strip()]
    if fields.get("merchant_id") and not _same(fields["merchant_id"], merchant_id):
        problems.append("merchant_id is not this merchant's id")
    if fields.get("merchant_key") and not _same(fields["merchant_key"], merchant_key):
        problems.append("merchant_key does not belong to this merchant")
    amount = fields.get("amount", "").strip()
    cents = amount_cents(amount) if amount else None
    if amount and cents is None:
        problems.append(f"amount {amount!r} is not an amount in rand with at most two decimals (e.g. 1150.00)")
    elif cents is not None and cents < MIN_AMOUNT_CENTS:
        problems.append("amount must be at least R5.00")
    if not fields.get("notify_url", "").strip():
        problems.append("notify_url is missing: this sandbox has no merchant account settings to fall back on")
    given_urls = [name for name in URL_FIELDS if fields.get(name, "").strip()]
    problems += [f"{name} is not an http(s) URL" for name in given_urls if not _is_web_url(fields[name])]
    if fields.get("subscription_type", "").strip() not in ("", TOKENISATION):
        problems.append("subscription_type: only 2 (tokenisation, ad hoc charges) is simulated by this sandbox")
    if not signature.strip():
        problems.append("signature is missing")
    elif not _same(signature.lower(), checkout_signature(fields, passphrase)):
        problems.append("signature does not match the fields (field order, encoding, passphrase?)")
    return problems


def api_problem(
    headers: Mapping[str, str], body: Mapping[str, str], merchant_id: str, passphrase: str | None
) -> tuple[int, str] | None:
    """PayFast's REST API authentication of an ad hoc charge: (status, message) when refused, else None."""
    given = {name: headers.get(name, "").strip() for name in ("merchant-id", "version", "timestamp", "signature")}
    missing = [name for name, value in given.items() if not value]
    if missing:
        return 400, f"missing header(s): {', '.join(missing)}"
    if given["version"] != API_VERSION:
        return 400, f"version must be {API_VERSION}"
    try:
        datetime.fromisoformat(given["timestamp"])
    except ValueError:
        return 400, "timestamp must be ISO 8601, e.g. 2024-01-31T14:30:00+02:00"
    if not _same(given["merchant-id"], merchant_id):
        return 401, "Merchant authorization failed."
    signed = {name: given[name] for name in ("merchant-id", "version", "timestamp")} | dict(body)
    if not _same(given["signature"].lower(), api_signature(signed, passphrase)):
        return 401, "Merchant authorization failed: the signature does not match."
    return None


def charge_problem(body: Mapping[str, str]) -> str | None:
    amount = body.get("amount", "").strip()
    if not amount.isdigit():
        return "amount must be a whole number of cents"
    if int(amount) < MIN_AMOUNT_CENTS:
        return "amount must be at least 500 cents (R5.00)"
    if not body.get("item_name", "").strip():
        return "item_name is missing"
    return None
