"""PayFast's server-side endpoints behind one narrow interface: the ITN's server-to-server confirmation and the
ad hoc charge of a saved token. One HTTP adapter serves every mode: in local mode its URLs are the sandbox that
`fluxori serve` mounts (it speaks PayFast's protocol), in gcp mode sandbox.payfast.co.za or the live site."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Protocol

import httpx

from assistant.billing import payfast
from assistant.billing.settings import BillingSettings
from domain.store import utcnow

log = logging.getLogger(__name__)
VALIDATE_SECONDS = 10.0
CHARGE_SECONDS = 20.0


class GatewayError(Exception):
    """PayFast could not be reached, or refused the call."""


class PaymentGateway(Protocol):
    async def validate(self, param_string: str) -> bool:
        """Whether PayFast confirms this ITN (its validate endpoint answers `VALID`)."""
        ...

    def charge_token(self, token: str, amount_cents: int, item_name: str, m_payment_id: str) -> None:
        """Charge a saved card once; PayFast then sends the payment's ITN like a checkout's. GatewayError if refused."""
        ...


class PayFastGateway:
    def __init__(self, settings: BillingSettings, transport: httpx.BaseTransport | None = None) -> None:
        self.settings = settings
        self._transport = transport

    async def validate(self, param_string: str) -> bool:
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        try:
            async with httpx.AsyncClient(timeout=VALIDATE_SECONDS) as client:
                response = await client.post(self.settings.validate_url, content=param_string, headers=headers)
        except httpx.HTTPError as exc:
            raise GatewayError(f"PayFast's validate endpoint could not be reached: {exc}") from exc
        return response.status_code == 200 and response.text.strip() == "VALID"

    def charge_token(self, token: str, amount_cents: int, item_name: str, m_payment_id: str) -> None:
        body = {"amount": str(amount_cents), "item_name": item_name, "m_payment_id": m_payment_id}
        headers = self._api_headers(body, utcnow())
        url = f"{self.settings.api}/subscriptions/{token}/adhoc"
        params = {"testing": "true"} if self.settings.payfast_mode == "sandbox" else {}
        try:
            with httpx.Client(timeout=CHARGE_SECONDS, transport=self._transport) as client:
                response = client.post(url, data=body, headers=headers, params=params)
        except httpx.HTTPError as exc:
            raise GatewayError(f"PayFast's ad hoc charge could not be reached: {exc}") from exc
        if response.status_code != 200:
            raise GatewayError(f"PayFast refused the ad hoc charge ({response.status_code}): {response.text[:200]}")

    def _api_headers(self, body: dict[str, str], now: datetime) -> dict[str, str]:
        headers = {
            "merchant-id": self.settings.payfast_merchant_id.get_secret_value(),
            "version": payfast.API_VERSION,
            "timestamp": now.replace(microsecond=0).isoformat(),
        }
        return headers | {"signature": payfast.api_signature(headers | body, self.settings.passphrase)}
