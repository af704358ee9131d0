"""Imports: shipments on their way, customs duty of an HS code, goods or product, and the landed cost in rand."""

from __future__ import annotations

import json
import re

from langchain.tools import tool

from assistant.contracts import Citation
from assistant.tools.context import (
    AgentContext,
    ProductNotResolved,
    Result,
    Runtime,
    fail,
    ok,
    resolve_product,
    warehouse_of,
)
from assistant.tools.spec import ToolSpec
from domain.catalog import OUR_SKU
from domain.errors import DomainError, NotFound
from domain.resolver import Verdict
from domain.trade import FX_TO_ZAR, TariffHeading, duty_rate, find_tariffs, lookup_tariff
from domain.trade import landed_cost as compute_landed_cost


@tool(response_format="content_and_artifact")
def list_shipments(
    runtime: Runtime, status: str | None = None, origin_country: str | None = None, warehouse: str | None = None
) -> Result:
    """Import shipments with supplier, route, status (booked, in_transit, at_customs, cleared, delivered) and ETA;
    optionally only those from one origin country (ISO code, e.g. CN, IT) or for one destination warehouse."""
    ctx = runtime.context
    try:
        shipments = ctx.services.shipments.list(ctx.org_id, status=status)
        code = warehouse_of(ctx, warehouse) if warehouse else None
    except ValueError:
        return fail("unknown shipment status; use booked, in_transit, at_customs, cleared or delivered")
    except DomainError as exc:
        return fail(exc)
    if origin_country:
        shipments = [s for s in shipments if s.origin_country == origin_country.strip().upper()]
    if code:
        shipments = [s for s in shipments if s.destination_warehouse == code]
    data = [
        {
            "id": s.id,
            "supplier": s.supplier,
            "origin_country": s.origin_country,
            "route": f"{s.origin_port} to {s.destination_port}",
            "destination_warehouse": s.destination_warehouse,
            "status": s.status.value,
            "eta": s.eta.isoformat(),
            "incoterm": s.incoterm.value,
            "clearing_agent": s.clearing_agent,
            "customs_reference": s.customs_reference,
        }
        for s in shipments
    ]
    citations = [Citation(source=f"shipment:{s.id}", title=f"Shipment {s.id}", snippet=s.supplier) for s in shipments]
    filters = {"status": status, "origin_country": origin_country, "warehouse": code}
    return ok({**filters, "shipments": data}, citations)


def _heading(ctx: AgentContext, goods: str) -> TariffHeading:
    """The tariff heading of an HS code, of goods described in words, or of a product of the catalogue (SKU or
    name: its HS code)."""
    if re.search(r"\d{4}", goods) and not OUR_SKU.search(goods):
        return lookup_tariff(goods)
    if matches := find_tariffs(goods):
        return matches[0]
    try:
        codes = {resolve_product(ctx, goods).hs_code}
    except ProductNotResolved as exc:  # "toners": several products, but perhaps all under one heading
        candidates = exc.resolution.candidates if exc.resolution.verdict == Verdict.ambiguous else []
        skus = [c.sku for c in candidates]
        codes = {p.hs_code for p in ctx.services.products.get_many(ctx.org_id, skus).values()} if skus else set()
    except DomainError:
        codes = set()
    if len(codes) == 1 and (code := codes.pop()):
        return lookup_tariff(code)
    raise NotFound(f"no tariff heading in the table matches {goods!r}; give the HS code")


@tool(response_format="content_and_artifact")
def hs_duty_lookup(query: str, runtime: Runtime, origin_country: str | None = None) -> Result:
    """Customs duty rate of an HS code (e.g. 6109.10), of goods described in words (e.g. cotton T-shirts) or of a
    product of the catalogue (SKU or name)."""
    try:
        heading = _heading(runtime.context, query)
    except DomainError as exc:
        return fail(exc)
    data = {
        "hs_code": heading.hs_code,
        "description": heading.description,
        "general_rate_percent": float(heading.general_rate * 100),
        "eu_rate_percent": float(heading.eu_rate * 100),
        "origin_country": origin_country,
    }
    if origin_country:
        data["applied_rate_percent"] = float(duty_rate(heading, origin_country) * 100)
    citation = Citation(
        source=f"tariff:{heading.hs_code}", title=f"Tariff heading {heading.hs_code}", snippet=heading.description
    )
    return ok(data, [citation])


@tool(response_format="content_and_artifact")
def landed_cost(
    goods: str,
    fob_value: float,
    currency: str,
    runtime: Runtime,
    origin_country: str | None = None,
    quantity: int = 1,
    freight_zar: float = 0.0,
    insurance_zar: float = 0.0,
    freight_currency: str = "ZAR",
) -> Result:
    """Landed cost in rand of an import: customs value (FOB x FX), duty, import VAT (15% of customs value + 10%
    + duty), freight and insurance. `goods` is an HS code or a description; `fob_value` is the total FOB value in
    `currency` (ZAR, USD, EUR, GBP, CNY). `origin_country` (ISO code) sets the duty rate: ask the user when they did
    not say it, never assume it. Freight and insurance are in `freight_currency` (rand unless said otherwise)."""
    if not origin_country:
        return fail("the country of origin is missing; the duty rate depends on it, so ask where the goods come from")
    try:
        hs_code = _heading(runtime.context, goods).hs_code
        rate = FX_TO_ZAR.get(freight_currency.upper())
        if rate is None:
            return fail(f"no exchange rate for {freight_currency}; supported: {', '.join(FX_TO_ZAR)}")
        cost = compute_landed_cost(
            fob_value,
            currency,
            hs_code,
            origin_country,
            freight_zar=float(rate) * freight_zar,
            insurance_zar=float(rate) * insurance_zar,
            quantity=quantity,
        )
    except DomainError as exc:
        return fail(exc)
    citation = Citation(
        source=f"tariff:{cost.hs_code}", title=f"Tariff heading {cost.hs_code}", snippet=cost.description
    )
    return ok(json.loads(cost.model_dump_json()), [citation])


LIST_SHIPMENTS = ToolSpec(
    list_shipments, label="import shipments", running="Checking shipments", done="Checked shipments"
)
HS_DUTY_LOOKUP = ToolSpec(
    hs_duty_lookup, label="a duty rate", running="Looking up import duty", done="Looked up import duty"
)
LANDED_COST = ToolSpec(
    landed_cost, label="a landed cost", running="Working out the landed cost", done="Worked out the landed cost"
)
