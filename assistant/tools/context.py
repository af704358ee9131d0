"""What every tool shares: the run context the server sets, the (content, artifact) result shape, citations, and
how a product or a warehouse named in words is found.

Each tool reads the organisation from the run context, set from the caller's API key; no tool takes an
organisation argument, so a model cannot reach another organisation's data. Every tool returns (content for the
model, artifact for the service): the artifact carries citations and, for failures, the error, so that answers can
cite sources whatever the model.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import Stemmer
from langchain.tools import ToolRuntime

from assistant.contracts import Citation
from assistant.normalise import warehouse_code
from assistant.ports import Repositories
from domain.catalog import OUR_SKU, SKU_LIKE, Product
from domain.errors import DomainError, NotFound
from domain.orders import CHANNEL_NAMES, Order
from domain.resolver import Resolution, Verdict, as_asked
from retrieval.types import Audience, SearchService

Result = tuple[str, dict[str, Any]]  # (content for the model, artifact for the service)
_STEMMER = Stemmer.Stemmer("english")


@dataclass
class AgentContext:
    """Per-run context, set by the server: who asks, and the adapters the tools use."""

    org_id: str
    actor: str
    services: Repositories
    searcher: SearchService | None = None
    audiences: tuple[Audience, ...] = ("public",)  # of knowledge-base articles, from the caller's role (the policy)
    embedded_chars: list[int] = field(default_factory=list)


Runtime = ToolRuntime[AgentContext]


def ok(data: Any, citations: list[Citation] | None = None) -> Result:
    return json.dumps(data, default=str, ensure_ascii=False), {
        "data": data,
        "citations": [c.model_dump() for c in citations or []],
    }


def fail(error: DomainError | str) -> Result:
    message = error.message if isinstance(error, DomainError) else error
    return json.dumps({"error": message}), {"error": message, "citations": []}


def rand(cents: int) -> str:
    return f"R{cents / 100:,.2f}".replace(",", " ")


def stems(text: str) -> set[str]:
    """Lower-case English stems, so "headlamps" finds "Headlamp" and "sunscreens" "Sunscreen"."""
    return set(_STEMMER.stemWords(re.findall(r"[a-z0-9]+", text.lower())))


def product_citation(product: Product) -> Citation:
    return Citation(source=f"product:{product.sku}", title=product.title, snippet=product.description[:160])


def order_citation(order: Order) -> Citation:
    summary = f"{CHANNEL_NAMES[order.channel]} order, {order.status.value}, {rand(order.total_cents)} incl. VAT"
    return Citation(source=f"order:{order.number}", title=f"Order {order.number}", snippet=summary)


class ProductNotResolved(NotFound):
    """A product name that names no product, or several: the message lists the choices (SKU and name)."""

    def __init__(self, resolution: Resolution) -> None:
        self.resolution = resolution
        query = as_asked(resolution.query)
        if resolution.verdict == Verdict.ambiguous:
            choices = "; ".join(f"{c.sku} {c.title}" for c in resolution.candidates)
            message = f"{query!r} matches several products: {choices}. Which one do you mean?"
        else:
            message = f"there is no product matching {query!r} in your catalogue; give the SKU or the full name"
        super().__init__(message)


def resolve_product(ctx: AgentContext, text: str) -> Product:
    """A SKU, or a name with attributes resolved by the catalogue (domain.resolver): one clear match is used;
    several close ones or none raise ProductNotResolved, whose message asks or says so (never a substitute)."""
    if match := OUR_SKU.search(text) or SKU_LIKE.fullmatch(text.strip()):
        return ctx.services.products.get(ctx.org_id, match.group(0))
    resolution = ctx.services.products.resolve(ctx.org_id, text)
    if resolution.sku is None:
        raise ProductNotResolved(resolution)
    return ctx.services.products.get(ctx.org_id, resolution.sku)


def warehouse_of(ctx: AgentContext, name: str) -> str:
    """A warehouse code from a code, city, suburb or nickname ("Jozi", "the Mother City", "Durbs")."""
    return ctx.services.inventory.warehouse(ctx.org_id, warehouse_code(name) or name).code


def choices(exc: ProductNotResolved) -> Result:
    """A name that matched several products: the choices, for the model to ask which one is meant."""
    options = [{"sku": c.sku, "title": c.title} for c in exc.resolution.candidates]
    if exc.resolution.verdict == Verdict.ambiguous:
        data = {"query": as_asked(exc.resolution.query), "ambiguous": True, "choices": options, "error": exc.message}
        return json.dumps(data, ensure_ascii=False), {"error": exc.message, "data": data, "citations": []}
    return fail(exc)
