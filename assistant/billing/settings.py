"""Billing configuration, read from the same `FLUXORI_*` environment as `assistant.settings` (pydantic-settings).

Local mode needs none of it: PayFast is the local sandbox that `fluxori serve` mounts, with PayFast's published
sandbox test merchant (not a secret). In gcp mode `FLUXORI_PAYFAST_MODE` is `sandbox` (sandbox.payfast.co.za) or
`live` (www.payfast.co.za), and the merchant id, key and passphrase come from Secret Manager (terraform/).
"""

from __future__ import annotations

import ipaddress
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PayFastMode = Literal["local", "sandbox", "live"]

# PayFast's public sandbox test merchant (developers.payfast.co.za, "Sandbox"): safe to ship, useless for money.
SANDBOX_MERCHANT_ID = "10000100"
SANDBOX_MERCHANT_KEY = "46f0cd694581a"
SANDBOX_PASSPHRASE = "jt7NOE43FZPn"
# Where PayFast sends ITNs from (developers.payfast.co.za, "Custom integration", step 4: "valid IP ranges").
PAYFAST_SOURCE_RANGES = (
    "197.97.145.144/28",
    "41.74.179.192/27",
    "102.216.36.0/28",
    "102.216.36.128/28",
    "144.126.193.139/32",
)
LOOPBACK_RANGES = ("127.0.0.0/8", "::1/128")
HOSTS: dict[str, str] = {"sandbox": "https://sandbox.payfast.co.za", "live": "https://www.payfast.co.za"}
API_HOST = "https://api.payfast.co.za"


class BillingSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FLUXORI_", env_file=".env", extra="ignore")

    mode: Literal["local", "gcp"] = "local"
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)

    payfast_mode: PayFastMode | None = Field(default=None, description="local in local mode, sandbox in gcp mode")
    payfast_merchant_id: SecretStr = SecretStr(SANDBOX_MERCHANT_ID)
    payfast_merchant_key: SecretStr = SecretStr(SANDBOX_MERCHANT_KEY)
    payfast_passphrase: SecretStr | None = SecretStr(SANDBOX_PASSPHRASE)
    # The address PayFast and the buyer's browser reach this service at (notify, return and cancel URLs).
    public_url: str = ""
    # Addresses an ITN may come from (CIDRs); empty: loopback in local mode, PayFast's published ranges otherwise.
    payfast_sources: list[str] = Field(default_factory=list)
    # Proxies in front of the service that append to X-Forwarded-For (Cloud Run's front end: 1).
    trusted_proxy_hops: int = Field(default=0, ge=0, le=5)

    # The supplier on every tax invoice (SA VAT Act s20(4)).
    supplier_name: str = "Fluxori (Pty) Ltd"
    supplier_address: str = "1 Demo Street, Rosebank, Johannesburg, 2196, South Africa"
    supplier_vat_number: str = "4000000000"

    low_balance_credits: int = Field(default=100, ge=0, description="Below it, merchants see the low-balance banner")
    auto_topup_max_per_month: int = Field(default=3, ge=0, le=31)
    billing_bucket: str | None = Field(default=None, description="Bucket of the daily billing export (gcp mode)")

    @model_validator(mode="after")
    def resolve_defaults(self) -> BillingSettings:
        if self.payfast_mode is None:
            self.payfast_mode = "local" if self.mode == "local" else "sandbox"
        if self.payfast_mode == "local" and self.mode == "gcp":
            raise ValueError("FLUXORI_PAYFAST_MODE=local is the offline sandbox; in gcp mode use sandbox or live")
        if self.payfast_mode == "live" and self.payfast_merchant_id.get_secret_value() == SANDBOX_MERCHANT_ID:
            raise ValueError(
                "FLUXORI_PAYFAST_MODE=live needs FLUXORI_PAYFAST_MERCHANT_ID, _MERCHANT_KEY and _PASSPHRASE"
            )
        if not self.public_url:  # a browser cannot open 0.0.0.0: the service listens on every interface
            host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host
            self.public_url = f"http://{host}:{self.port}"
        self.public_url = self.public_url.rstrip("/")
        if not self.payfast_sources:
            self.payfast_sources = list(LOOPBACK_RANGES if self.payfast_mode == "local" else PAYFAST_SOURCE_RANGES)
        for source in self.payfast_sources:
            ipaddress.ip_network(source, strict=False)  # a bad range fails at start-up, not on the first ITN
        return self

    @property
    def passphrase(self) -> str | None:
        return self.payfast_passphrase.get_secret_value() if self.payfast_passphrase else None

    @property
    def site(self) -> str:
        """PayFast's site: the process page and the validate endpoint are under it."""
        if self.payfast_mode == "local":
            return f"{self.public_url}{SANDBOX_PREFIX}"
        return HOSTS[str(self.payfast_mode)]

    @property
    def api(self) -> str:
        """PayFast's REST API (ad hoc token charges); the sandbox answers it too."""
        return f"{self.public_url}{SANDBOX_PREFIX}" if self.payfast_mode == "local" else API_HOST

    @property
    def process_url(self) -> str:
        return f"{self.site}/eng/process"

    @property
    def validate_url(self) -> str:
        return f"{self.site}/eng/query/validate"


SANDBOX_PREFIX = "/_sandbox/payfast"
