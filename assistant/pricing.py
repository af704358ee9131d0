"""The price list of AI credits: per model (per 1k input and output tokens), embeddings and tool calls.

The list is configuration (`assistant/prices.toml`, or the file named by FLUXORI_PRICES_FILE). Amounts are
millicredits (1 credit = 1000 mc = R0.10). The README shows the same table; a test keeps the two in step.
"""

from __future__ import annotations

import math
import tomllib
from functools import lru_cache
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from domain.errors import InvalidInput


class ModelPrice(BaseModel):
    input_per_1k_mc: int = Field(ge=0)
    output_per_1k_mc: int = Field(ge=0)


class Reservation(BaseModel):
    max_input_tokens: int = Field(gt=0)
    max_output_tokens: int = Field(gt=0)
    max_tool_calls: int = Field(ge=0)
    max_embedded_chars: int = Field(ge=0)


class PackPrice(BaseModel):
    credits: int = Field(gt=0)
    price_cents: int = Field(gt=0, description="ZAR cents, excluding VAT")


class BillingTerms(BaseModel):
    vat_percent: int = Field(default=15, ge=0, le=100)


class PriceList(BaseModel):
    tool_call_mc: int = Field(ge=0)
    embedding_per_1k_chars_mc: int = Field(ge=0)
    reservation: Reservation
    models: dict[str, ModelPrice]
    billing: BillingTerms = Field(default_factory=BillingTerms)
    packs: dict[str, PackPrice] = Field(default_factory=dict[str, PackPrice])

    def model_price(self, provider: str | None, model: str) -> ModelPrice:
        if model in self.models:
            return self.models[model]
        if provider == "openai-compatible" and provider in self.models:
            return self.models[provider]
        raise InvalidInput(f"no price for model {model!r}; add it to the price list (assistant/prices.toml)")

    def cost_mc(
        self, price: ModelPrice, input_tokens: int, output_tokens: int, tool_calls: int, embedded_chars: int
    ) -> int:
        """Rounded up to the millicredit, so that nothing is given away by rounding."""
        exact = (
            input_tokens * price.input_per_1k_mc / 1000
            + output_tokens * price.output_per_1k_mc / 1000
            + tool_calls * self.tool_call_mc
            + embedded_chars * self.embedding_per_1k_chars_mc / 1000
        )
        return math.ceil(exact)

    def reservation_mc(self, price: ModelPrice) -> int:
        r = self.reservation
        return self.cost_mc(price, r.max_input_tokens, r.max_output_tokens, r.max_tool_calls, r.max_embedded_chars)


@lru_cache(maxsize=4)
def load_prices(path: Path | None = None) -> PriceList:
    try:
        if path is None:
            text = resources.files("assistant").joinpath("prices.toml").read_text(encoding="utf-8")
        else:
            text = Path(path).read_text(encoding="utf-8")
        return PriceList.model_validate(tomllib.loads(text))
    except (OSError, tomllib.TOMLDecodeError, ValidationError) as exc:
        raise InvalidInput(f"the price list {path or 'assistant/prices.toml'} cannot be used: {exc}") from None


DEFAULT_PRICES = load_prices()
TOOL_CALL_MC = DEFAULT_PRICES.tool_call_mc
EMBEDDING_PER_1K_CHARS_MC = DEFAULT_PRICES.embedding_per_1k_chars_mc


def model_price(provider: str, model: str) -> ModelPrice:
    return DEFAULT_PRICES.model_price(provider, model)


def cost_mc(price: ModelPrice, input_tokens: int, output_tokens: int, tool_calls: int, embedded_chars: int) -> int:
    return DEFAULT_PRICES.cost_mc(price, input_tokens, output_tokens, tool_calls, embedded_chars)


def reservation_mc(price: ModelPrice) -> int:
    return DEFAULT_PRICES.reservation_mc(price)
