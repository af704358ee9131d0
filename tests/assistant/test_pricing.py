"""The price list is configuration, and the README shows exactly that configuration."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.pricing import DEFAULT_PRICES, load_prices
from domain.errors import InvalidInput

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_section() -> str:
    text = README.read_text(encoding="utf-8")
    return text.split("## AI credits and prices", 1)[1].split("\n## ", 1)[0]


def test_readme_model_prices_match_the_price_list() -> None:
    rows = re.findall(r"^\| `([^`]+)` \| ([\d.]+) \| ([\d.]+) \|$", readme_section(), re.MULTILINE)
    shown = {model: (float(i), float(o)) for model, i, o in rows}
    configured = {m: (p.input_per_1k_mc / 1000, p.output_per_1k_mc / 1000) for m, p in DEFAULT_PRICES.models.items()}
    assert shown == configured


def test_readme_other_charges_and_reservations_match() -> None:
    section = readme_section()
    assert f"| each tool call | {DEFAULT_PRICES.tool_call_mc / 1000:.2f} |" in section
    assert f"| embeddings, per 1k characters | {DEFAULT_PRICES.embedding_per_1k_chars_mc / 1000:.2f} |" in section
    offline = DEFAULT_PRICES.reservation_mc(DEFAULT_PRICES.models["fluxori-offline-1"]) / 1000
    gemini = DEFAULT_PRICES.reservation_mc(DEFAULT_PRICES.models["gemini-2.5-flash"]) / 1000
    assert f"{offline:g} credits with the offline model, {gemini:g} with `gemini-2.5-flash`" in section


def test_a_price_file_overrides_the_list(tmp_path: Path) -> None:
    custom = tmp_path / "prices.toml"
    custom.write_text(
        "tool_call_mc = 1\nembedding_per_1k_chars_mc = 0\n"
        "[reservation]\nmax_input_tokens = 10\nmax_output_tokens = 10\nmax_tool_calls = 1\nmax_embedded_chars = 0\n"
        '[models."my-model"]\ninput_per_1k_mc = 1000\noutput_per_1k_mc = 2000\n'
    )
    prices = load_prices(custom)
    assert prices.reservation_mc(prices.model_price("openai-compatible", "my-model")) == 10 + 20 + 1
    with pytest.raises(InvalidInput, match="no price for model 'other'"):
        prices.model_price("openai-compatible", "other")


def test_a_broken_price_file_is_one_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "prices.toml"
    broken.write_text("tool_call_mc = -1\n")
    with pytest.raises(InvalidInput, match="cannot be used"):
        load_prices(broken)


def test_readme_packs_match_the_price_list() -> None:
    from assistant.billing.packs import packs

    section = README.read_text(encoding="utf-8").split("## Billing", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(
        r"^\| `(\w+)` \| ([\d,]+)[^|]* \| R([\d,.]+) \| R([\d,.]+) \| R([\d,.]+) \|$", section, re.MULTILINE
    )

    def cents(rand: str) -> int:
        return round(float(rand.replace(",", "")) * 100)

    shown = {pack: (int(credits.replace(",", "")), cents(p), cents(v), cents(t)) for pack, credits, p, v, t in rows}
    configured = {p.id: (p.credits, p.price_cents, p.vat_cents, p.total_cents) for p in packs(DEFAULT_PRICES)}
    assert shown == configured and f"vat_percent = {DEFAULT_PRICES.billing.vat_percent}" in section
