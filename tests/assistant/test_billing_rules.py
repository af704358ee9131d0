"""Billing's pure rules: PayFast's encoding and signatures, amounts, the caller's address behind a proxy, packs
with VAT, and the settings that refuse a configuration that cannot take money safely."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from assistant.billing import payfast
from assistant.billing.notifications import client_address
from assistant.billing.packs import pack, packs, vat_cents
from assistant.billing.settings import BillingSettings
from assistant.pricing import DEFAULT_PRICES
from domain.errors import InvalidInput


def test_values_are_encoded_as_php_urlencode_does() -> None:
    assert payfast.pf_encode("R 1 150.00 ~ é/&=") == "R+1+150.00+%7E+%C3%A9%2F%26%3D"
    # Trimmed, in the order given (the checkout's order is PayFast's, not ours).
    assert payfast.param_string([("b", " x y "), ("a", "1")]) == "b=x+y&a=1"


def test_checkout_signs_non_empty_fields_in_payfasts_order_with_the_passphrase() -> None:
    fields = {"amount": "115.00", "merchant_id": "10000100", "item_name": "Credits", "email_address": ""}
    expected = payfast._md5("merchant_id=10000100&amount=115.00&item_name=Credits&passphrase=secret+pass")
    assert payfast.checkout_signature(fields, "secret pass") == expected
    assert list(payfast.signed_checkout(fields, None)) == ["merchant_id", "amount", "item_name", "signature"]
    with pytest.raises(ValueError, match="not PayFast checkout fields"):
        payfast.checkout_pairs({"org_id": "bergveld"})


def test_an_itn_is_checked_over_its_posted_order_without_the_signature() -> None:
    posted = [("m_payment_id", "p1"), ("amount_gross", "115.00"), ("name_first", "")]
    signed = [*posted, ("signature", payfast.itn_signature(posted, "pp"))]
    assert payfast.signature_matches(signed, "pp")
    assert not payfast.signature_matches(signed, "other")
    assert not payfast.signature_matches(list(reversed(signed)), "pp")  # order matters
    assert payfast.itn_param_string(signed) == "m_payment_id=p1&amount_gross=115.00&name_first="


@pytest.mark.parametrize(
    ("text", "cents"), [("115.00", 11500), ("115", 11500), ("0.5", 50), ("1.234", None), ("-1.00", None), ("", None)]
)
def test_amounts(text: str, cents: int | None) -> None:
    assert payfast.amount_cents(text) == cents
    if cents is not None:
        assert payfast.amount_cents(payfast.amount_text(cents)) == cents


def test_behind_a_proxy_the_address_it_appended_counts_not_the_callers_claims() -> None:
    assert client_address("10.0.0.1", "", 0) == "10.0.0.1"
    assert client_address("10.0.0.1", "197.97.145.150, 6.6.6.6", 1) == "6.6.6.6"  # a forged first entry
    assert client_address("10.0.0.1", "1.1.1.1, 197.97.145.150, 35.191.0.1", 2) == "197.97.145.150"
    assert client_address("10.0.0.1", "", 1) == ""


def test_packs_add_vat_on_top_rounded_to_the_cent() -> None:
    assert vat_cents(10000, 15) == 1500 and vat_cents(333, 15) == 50  # 49.95 rounds half up
    listed = packs(DEFAULT_PRICES)
    assert [p.id for p in listed] == ["starter", "growth", "scale"]
    assert all(p.total_cents == p.price_cents + p.vat_cents for p in listed)
    assert all(p.credits * 10 >= p.price_cents for p in listed)  # never worse than 1 credit = R0.10
    with pytest.raises(InvalidInput, match="starter, growth, scale"):
        pack(DEFAULT_PRICES, "mega")


def test_settings_default_to_the_local_sandbox_and_refuse_unsafe_ones() -> None:
    local = BillingSettings(_env_file=None)
    assert local.payfast_mode == "local" and local.process_url == "http://127.0.0.1:8080/_sandbox/payfast/eng/process"
    assert local.payfast_sources == ["127.0.0.0/8", "::1/128"]
    assert BillingSettings(_env_file=None, host="0.0.0.0", port=9000).public_url == "http://127.0.0.1:9000"
    gcp = BillingSettings(_env_file=None, mode="gcp", public_url="https://pay.example.com/")
    assert gcp.payfast_mode == "sandbox" and gcp.validate_url == "https://sandbox.payfast.co.za/eng/query/validate"
    assert "197.97.145.144/28" in gcp.payfast_sources and gcp.public_url == "https://pay.example.com"
    with pytest.raises(ValidationError, match="in gcp mode use sandbox or live"):
        BillingSettings(_env_file=None, mode="gcp", payfast_mode="local")
    with pytest.raises(ValidationError, match="live needs"):
        BillingSettings(_env_file=None, mode="gcp", payfast_mode="live")
    with pytest.raises(ValidationError):
        BillingSettings(_env_file=None, payfast_sources=["not-a-network"])
