"""Answers composed from tool results: they state only what the results say, and name their sources."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from assistant.kb_answers import render_answer


def knowledge_answer(question: str, data: dict[str, Any], encode: Callable[[list[str]], np.ndarray]) -> str:
    """The knowledge-base tool chose and numbered the passages (`assistant.kb_answers`): quote them in order,
    each under its title and heading with its `[n]`, then "see also"; or say it was not found."""
    return render_answer(data)


def stock_answer(data: dict[str, Any], warehouses: list[str]) -> str:
    levels = [lvl for lvl in data["levels"] if not warehouses or lvl["warehouse"] in warehouses]
    parts = [
        f"{lvl['warehouse']}: {lvl['available']} available ({lvl['on_hand']} on hand, {lvl['reserved']} reserved)"
        for lvl in levels
    ]
    total = sum(lvl["available"] for lvl in data["levels"])
    text = f"{data['title']} ({data['sku']}): " + "; ".join(parts) + "."
    if len(levels) > 1 or not warehouses:
        text += f" In total {total} available; the reorder point is {data['reorder_point']}."
    return text + f" [product:{data['sku']}]"


def order_answer(data: dict[str, Any]) -> str:
    lines = ", ".join(f"{line['quantity']} x {line['title']} ({line['sku']})" for line in data["lines"])
    return (
        f"Order {data['number']} from {data['channel']} is {data['status']} (last update {data['updated']}). "
        f"It ships from {data['warehouse']} to {data['customer_city']}: {lines}. Total {data['total_incl_vat']} "
        f"including {data['vat']} VAT, placed on {data['created']}. [order:{data['number']}]"
    )


def orders_answer(data: dict[str, Any]) -> str:
    orders = data["orders"]
    what = " ".join(filter(None, [data.get("status"), data.get("channel")])) or "recent"
    if not orders:
        return f"There are no {what} orders" + (f" in the last {data['days']} days." if data.get("days") else ".")
    rows = "; ".join(
        f"{o['number']} ({o['channel']}, {o['status']}, {o['total_incl_vat']}, {o['created']})" for o in orders
    )
    return f"{len(orders)} {what} orders, newest first: {rows}."


def sales_answer(data: dict[str, Any]) -> str:
    rows = "; ".join(
        f"{c['channel']}: {c['orders']} orders, {c['units']} units, {c['revenue']}" for c in data["channels"]
    )
    return (
        f"Sales over the last {data['days']} days (orders not cancelled or returned, incl. VAT): {rows}. "
        f"Total {data['total_revenue']}."
    )


def low_stock_answer(data: dict[str, Any]) -> str:
    if not data["products"]:
        return "Nothing is below its reorder point."
    rows = "; ".join(
        f"{p['sku']} {p['title']}: {p['available']} available, reorder point {p['reorder_point']}"
        for p in data["products"][:10]
    )
    return f"{data['count']} products are below their reorder point. Most urgent: {rows}."


def products_answer(data: dict[str, Any]) -> str:
    if not data["products"]:
        return f'I found no products matching "{data["query"]}".'
    rows = "; ".join(
        f"{p['sku']} {p['title']} ({p['price_excl_vat']} excl. VAT, {p['available']} available)"
        for p in data["products"]
    )
    return f'Products matching "{data["query"]}": {rows}.'


def shipments_answer(data: dict[str, Any]) -> str:
    if not data["shipments"]:
        return "There are no shipments" + (f" with status {data['status']}." if data.get("status") else ".")
    rows = "; ".join(
        f"{s['id']} from {s['supplier']} ({s['route']}, {s['incoterm']}): "
        f"{s['status'].replace('_', ' ')}, ETA {s['eta']}"
        + (f", customs ref {s['customs_reference']}" if s["customs_reference"] else "")
        for s in data["shipments"]
    )
    return f"{len(data['shipments'])} shipments: {rows}."


def duty_answer(data: dict[str, Any]) -> str:
    text = (
        f"HS {data['hs_code']} ({data['description']}): customs duty {data['general_rate_percent']:g}% of the "
        f"customs value (FOB in rand); goods of EU origin {data['eu_rate_percent']:g}% under the EU-SADC EPA. "
        "Import VAT is then 15% of (customs value + 10% + duty)."
    )
    return text + " Give me the FOB value and currency for the landed cost. [tariff:" + data["hs_code"] + "]"


def landed_cost_answer(data: dict[str, Any]) -> str:
    rate = float(data["duty_rate"]) * 100
    return (
        f"Landed cost of {data['quantity']} units under HS {data['hs_code']} from {data['origin_country']}: "
        f"customs value R{float(data['customs_value_zar']):,.2f} ({data['currency']} {float(data['fob_value']):,.2f} "
        f"x {float(data['fx_rate']):g}); duty {rate:g}% = R{float(data['duty_zar']):,.2f}; import VAT 15% of "
        f"R{float(data['added_tax_value_zar']):,.2f} = R{float(data['import_vat_zar']):,.2f}; freight "
        f"R{float(data['freight_zar']):,.2f}, insurance R{float(data['insurance_zar']):,.2f}. Total "
        f"R{float(data['landed_cost_zar']):,.2f}, R{float(data['landed_cost_per_unit_zar']):,.2f} per unit "
        f"(the import VAT is claimable as input tax by a VAT vendor). [tariff:{data['hs_code']}]"
    )


def credits_answer(data: dict[str, Any]) -> str:
    return (
        f"Your organisation has {data['balance']} left. Today {data['used_today']} of the daily quota of "
        f"{data['daily_quota']} is used."
    )


def write_answer(tool: str, data: dict[str, Any]) -> str:
    if tool == "transfer_stock":
        return (
            f"Done: moved {data['quantity']} x {data['sku']} from {data['from']['warehouse']} to "
            f"{data['to']['warehouse']}. Now {data['from']['available']} available in {data['from']['warehouse']} "
            f"and {data['to']['available']} in {data['to']['warehouse']}."
        )
    if tool == "adjust_stock":
        return (
            f"Done: {data['sku']} in {data['warehouse']} now has {data['on_hand']} on hand "
            f"({data['available']} available)."
        )
    if tool in ("update_order_status", "cancel_order"):
        return f"Done: order {data['number']} is now {data['status']}. [order:{data['number']}]"
    if tool == "set_reorder_point":
        return f"Done: the reorder point of {data['sku']} is now {data['reorder_point']}."
    return "Done."
