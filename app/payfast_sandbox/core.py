"""The sandbox merchant account: completes checkouts and ad hoc charges and hands their ITNs to delivery."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import SecretStr

from app.payfast_sandbox.delivery import Deliverer
from app.payfast_sandbox.itn import itn_pairs, signed
from app.payfast_sandbox.ledger import Delivery, Ledger, Payment, PaymentStatus
from assistant.billing.payfast import TOKENISATION, amount_cents, itn_param_string
from assistant.billing.settings import BillingSettings

ACTIONS: dict[str, PaymentStatus] = {"pay": "COMPLETE", "cancel": "CANCELLED", "fail": "FAILED"}


def plain(value: object) -> str:
    """A setting's text, whether it is kept as a SecretStr or not."""
    return value.get_secret_value() if isinstance(value, SecretStr) else str(value)


class Sandbox:
    def __init__(self, settings: BillingSettings, ledger: Ledger, deliverer: Deliverer) -> None:
        self.merchant_id = plain(settings.payfast_merchant_id)
        self.merchant_key = plain(settings.payfast_merchant_key)
        self.passphrase = settings.passphrase
        self.ledger = ledger
        self.deliverer = deliverer

    def complete_checkout(self, fields: Mapping[str, str], action: str) -> Payment:
        """The buyer pressed Pay or Cancel (or the card failed) on a checkout that passed `checkout_problems`."""
        status = ACTIONS[action]
        pf_payment_id = self.ledger.next_payment_id()
        notify_url = fields["notify_url"].strip()
        tokenised = status == "COMPLETE" and fields.get("subscription_type", "").strip() == TOKENISATION
        token = self.ledger.new_token(self.merchant_id, notify_url) if tokenised else None
        cents = amount_cents(fields["amount"]) or 0
        payment = Payment(pf_payment_id, fields.get("m_payment_id", "").strip(), status, cents, notify_url, token)
        self._deliver(payment, fields)
        return payment

    def charge_token(self, token: str, notify_url: str, body: Mapping[str, str]) -> Payment:
        """An ad hoc charge of a saved token that passed `api_problem` and `charge_problem`: always approved."""
        pf_payment_id = self.ledger.next_payment_id()
        cents = int(body["amount"])
        m_payment_id = body.get("m_payment_id", "").strip()
        payment = Payment(pf_payment_id, m_payment_id, "COMPLETE", cents, notify_url, token, kind="adhoc")
        self._deliver(payment, body)
        return payment

    def _deliver(self, payment: Payment, source: Mapping[str, str]) -> None:
        pairs = itn_pairs(
            source,
            pf_payment_id=payment.pf_payment_id,
            status=payment.payment_status,
            gross_cents=payment.amount_cents,
            merchant_id=self.merchant_id,
            token=payment.token,
        )
        delivery = Delivery(payment=payment, fields=signed(pairs, self.passphrase))
        self.ledger.record(delivery, itn_param_string(pairs))
        self.deliverer.start(delivery)
