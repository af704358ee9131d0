"""PayFast's protocol, as pure functions: the field order of a checkout, the parameter string, and the signatures.

PayFast signs with MD5 over `key=value` pairs joined by `&`, each value trimmed and encoded the way PHP's
`urlencode` does (spaces as `+`, upper-case hex, only `A-Za-z0-9-_.` left alone), then `&passphrase=...` when a
passphrase is set. A checkout signs its non-empty fields in the order of PayFast's documentation (CHECKOUT_ORDER);
an ITN is checked over every posted field in the order it was posted, except `signature`; the REST API (ad hoc
token charges) signs its headers and body fields sorted by name, the passphrase among them.
Sources: developers.payfast.co.za, "Custom integration" (steps 2 and 4) and "API: authentication".
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from urllib.parse import quote_plus

# The checkout attributes in PayFast's documented order: the signature depends on it.
CHECKOUT_ORDER = (
    "merchant_id",
    "merchant_key",
    "return_url",
    "cancel_url",
    "notify_url",
    "name_first",
    "name_last",
    "email_address",
    "cell_number",
    "m_payment_id",
    "amount",
    "item_name",
    "item_description",
    *(f"custom_int{i}" for i in range(1, 6)),
    *(f"custom_str{i}" for i in range(1, 6)),
    "email_confirmation",
    "confirmation_address",
    "payment_method",
    "subscription_type",
    "billing_date",
    "recurring_amount",
    "frequency",
    "cycles",
)
TOKENISATION = "2"  # subscription_type of an ad hoc agreement: the ITN carries a token to charge later
API_VERSION = "v1"

Pairs = Iterable[tuple[str, str]]


def pf_encode(value: str) -> str:
    """PHP's urlencode, which PayFast's signatures use (Python's quote_plus leaves `~` alone; PHP does not)."""
    return quote_plus(value, safe="").replace("~", "%7E")


def param_string(pairs: Pairs) -> str:
    return "&".join(f"{key}={pf_encode(value.strip())}" for key, value in pairs)


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def _with_passphrase(text: str, passphrase: str | None) -> str:
    return f"{text}&passphrase={pf_encode(passphrase.strip())}" if passphrase else text


def checkout_pairs(fields: Mapping[str, str]) -> list[tuple[str, str]]:
    """The non-empty fields of a checkout in PayFast's order; a field PayFast does not know is refused."""
    unknown = set(fields) - set(CHECKOUT_ORDER)
    if unknown:
        raise ValueError(f"not PayFast checkout fields: {sorted(unknown)}")
    return [(key, fields[key]) for key in CHECKOUT_ORDER if fields.get(key, "").strip()]


def checkout_signature(fields: Mapping[str, str], passphrase: str | None) -> str:
    return _md5(_with_passphrase(param_string(checkout_pairs(fields)), passphrase))


def signed_checkout(fields: Mapping[str, str], passphrase: str | None) -> dict[str, str]:
    """The fields the buyer's browser posts to PayFast: the non-empty ones in order, then `signature`."""
    pairs = checkout_pairs(fields)
    return dict(pairs) | {"signature": checkout_signature(fields, passphrase)}


def itn_param_string(posted: Pairs) -> str:
    """Every posted field but `signature`, in the order posted (what the validate endpoint is sent too)."""
    return param_string((key, value) for key, value in posted if key != "signature")


def itn_signature(posted: Pairs, passphrase: str | None) -> str:
    return _md5(_with_passphrase(itn_param_string(posted), passphrase))


def signature_matches(posted: list[tuple[str, str]], passphrase: str | None) -> bool:
    given = next((value for key, value in posted if key == "signature"), "")
    return hmac.compare_digest(given.strip().lower(), itn_signature(posted, passphrase))


def api_signature(values: Mapping[str, str], passphrase: str | None) -> str:
    """The REST API's signature: headers (merchant-id, version, timestamp) and body fields, sorted by name."""
    merged = dict(values) | ({"passphrase": passphrase} if passphrase else {})
    return _md5(param_string(sorted(merged.items())))


def amount_text(cents: int) -> str:
    """PayFast's amount format: rand with two decimals ("1150.00")."""
    return f"{cents // 100}.{cents % 100:02d}"


def amount_cents(text: str) -> int | None:
    """Cents of an amount PayFast posted ("1150.00"), or None when it is not one."""
    whole, _, fraction = text.strip().partition(".")
    if not whole.isdigit() or (fraction and not (fraction.isdigit() and len(fraction) <= 2)):
        return None
    return int(whole) * 100 + int(fraction.ljust(2, "0") or 0)
