"""What billing needs of the composition root: the repositories, its settings, the price list and PayFast."""

from __future__ import annotations

from typing import Protocol

from assistant.billing.gateway import PaymentGateway
from assistant.billing.settings import BillingSettings
from assistant.ports import Repositories
from assistant.pricing import PriceList
from domain.ports import Purchases


class BillingServices(Repositories, Protocol):
    @property
    def purchases(self) -> Purchases: ...

    @property
    def billing_settings(self) -> BillingSettings: ...

    @property
    def prices(self) -> PriceList: ...

    @property
    def payments(self) -> PaymentGateway: ...
