"""Credit packs as the price list defines them, with VAT added on top (all amounts integer ZAR cents)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from assistant.pricing import PriceList
from domain.credits import MC_PER_CREDIT
from domain.errors import InvalidInput


class Pack(BaseModel):
    id: str
    credits: int = Field(description="Credits the pack adds")
    price_cents: int = Field(description="ZAR cents, excluding VAT")
    vat_cents: int
    total_cents: int = Field(description="What the buyer pays: price plus VAT")

    @property
    def credits_mc(self) -> int:
        return self.credits * MC_PER_CREDIT


def vat_cents(price_cents: int, vat_percent: int) -> int:
    """VAT on `price_cents`, rounded half up to the cent."""
    return (price_cents * vat_percent + 50) // 100


def packs(prices: PriceList) -> list[Pack]:
    """The packs, cheapest first."""
    rate = prices.billing.vat_percent
    listed = [
        Pack(
            id=pack_id,
            credits=pack.credits,
            price_cents=pack.price_cents,
            vat_cents=vat_cents(pack.price_cents, rate),
            total_cents=pack.price_cents + vat_cents(pack.price_cents, rate),
        )
        for pack_id, pack in prices.packs.items()
    ]
    return sorted(listed, key=lambda pack: pack.price_cents)


def pack(prices: PriceList, pack_id: str) -> Pack:
    found = {p.id: p for p in packs(prices)}
    if pack_id not in found:
        names = ", ".join(found) or "none are configured"
        raise InvalidInput(f"there is no credit pack {pack_id!r}; the packs are: {names}")
    return found[pack_id]
