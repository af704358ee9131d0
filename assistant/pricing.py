"""The price list of AI credits: per model (per 1k input and output tokens), embeddings and tool calls.

Amounts are millicredits (1 credit = 1000 mc, 1 credit = R0.10). The README shows the same table; a test keeps
the two in step.
"""

from __future__ import annotations

import math

from pydantic import BaseModel

from domain.credits import MC_PER_CREDIT


class ModelPrice(BaseModel):
    input_per_1k_mc: int
    output_per_1k_mc: int


MODEL_PRICES: dict[str, ModelPrice] = {
    "fluxori-offline-1": ModelPrice(input_per_1k_mc=50, output_per_1k_mc=100),
    "gemini-2.5-flash": ModelPrice(input_per_1k_mc=300, output_per_1k_mc=2500),
    "gemini-2.5-pro": ModelPrice(input_per_1k_mc=1250, output_per_1k_mc=10000),
}
OPENAI_COMPATIBLE_PRICE = ModelPrice(input_per_1k_mc=50, output_per_1k_mc=100)
EMBEDDING_PER_1K_CHARS_MC = 10
TOOL_CALL_MC = 20

# The most one request may use; its cost is reserved up front and the unused part refunded.
MAX_INPUT_TOKENS = 12_000
MAX_OUTPUT_TOKENS = 2_000
MAX_TOOL_CALLS = 6
MAX_EMBEDDED_CHARS = 4_000


def model_price(provider: str, model: str) -> ModelPrice:
    if provider == "openai-compatible":
        return MODEL_PRICES.get(model, OPENAI_COMPATIBLE_PRICE)
    if model not in MODEL_PRICES:
        raise ValueError(f"no price for model {model!r}; add it to assistant/pricing.py")
    return MODEL_PRICES[model]


def cost_mc(price: ModelPrice, input_tokens: int, output_tokens: int, tool_calls: int, embedded_chars: int) -> int:
    """Rounded up to the millicredit, so that nothing is given away by rounding."""
    exact = (
        input_tokens * price.input_per_1k_mc / 1000
        + output_tokens * price.output_per_1k_mc / 1000
        + tool_calls * TOOL_CALL_MC
        + embedded_chars * EMBEDDING_PER_1K_CHARS_MC / 1000
    )
    return math.ceil(exact)


def reservation_mc(price: ModelPrice) -> int:
    return cost_mc(price, MAX_INPUT_TOKENS, MAX_OUTPUT_TOKENS, MAX_TOOL_CALLS, MAX_EMBEDDED_CHARS)


def as_credits(mc: int) -> float:
    return mc / MC_PER_CREDIT
