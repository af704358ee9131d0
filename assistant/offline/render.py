"""Answers a merchant can scan, written from tool results only: Markdown tables for lists, figures with their
units and the warehouse named, the source cited. (Help-centre answers are written by `assistant.kb_answers`.)"""

from __future__ import annotations

from typing import Any


def table(headers: list[str], rows: list[list[Any]]) -> str:
    def cell(value: Any) -> str:
        return str(value).replace("|", "/").replace("\n", " ")

    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _notes(data: dict[str, Any]) -> str:
    return "".join(f"\n\nNote: {note}." for note in data.get("notes") or [])


def choices(data: dict[str, Any]) -> str:
    rows = [[c["sku"], c["title"]] for c in data["choices"]]
    return f'Several products match "{data["query"]}". Which one do you mean?\n\n' + table(["SKU", "Product"], rows)


def stock(data: dict[str, Any], warehouses: list[str]) -> str:
    levels = [lvl for lvl in data["levels"] if not warehouses or lvl["warehouse"] in warehouses] or data["levels"]
    head = f"**{data['title']}** ({data['sku']})"
    if len(levels) == 1:
        lvl = levels[0]
        return (
            f"{head} in {lvl['warehouse']}: {lvl['available']} available ({lvl['on_hand']} on hand, "
            f"{lvl['reserved']} reserved for orders). [product:{data['sku']}]"
        )
    lines = [
        f"- {lvl['warehouse']}: {lvl['available']} available ({lvl['on_hand']} on hand, {lvl['reserved']} reserved)"
        for lvl in levels
    ]
    total = sum(lvl["available"] for lvl in data["levels"])
    return (
        f"{head}:\n" + "\n".join(lines) + f"\n\nIn total {total} available; the reorder point is "
        f"{data['reorder_point']}. [product:{data['sku']}]"
    )


def stock_many(results: list[dict[str, Any]], warehouses: list[str]) -> str:
    """Several products at once ("how many of those in Durban?"): one line each."""
    lines = []
    for data in results:
        levels = [lvl for lvl in data["levels"] if not warehouses or lvl["warehouse"] in warehouses]
        figures = "; ".join(f"{lvl['available']} available in {lvl['warehouse']}" for lvl in levels)
        lines.append(f"- {data['sku']} {data['title']}: {figures}")
    return "\n".join(lines)


def order(data: dict[str, Any]) -> str:
    rows = [[line["sku"], line["title"], line["quantity"]] for line in data["lines"]]
    return (
        f"Order {data['number']} ({data['channel']}) is **{data['status']}** (last update {data['updated']}). It ships "
        f"from {data['warehouse']} to {data['customer_city']}; total {data['total_incl_vat']} incl. "
        f"{data['vat']} VAT, placed on {data['created']}.\n\n"
        + table(["SKU", "Product", "Qty"], rows)
        + f"\n\n[order:{data['number']}]"
    )


def orders(data: dict[str, Any]) -> str:
    rows = data["orders"]
    what = " ".join(filter(None, [data.get("status"), data.get("channel")])) or "recent"
    where = f" from {data['warehouse']}" if data.get("warehouse") else ""
    period = f" in the last {data['days']} days" if data.get("days") else ""
    if not rows:
        return f"There are no {what} orders{where}{period}." + _notes(data)
    body = table(
        ["Order", "Channel", "Status", "Warehouse", "Total (incl. VAT)", "Placed"],
        [
            [o["number"], o["channel"], o["status"], o.get("warehouse", ""), o["total_incl_vat"], o["created"]]
            for o in rows
        ],
    )
    return f"{len(rows)} {what} orders{where}{period}, newest first:\n\n{body}" + _notes(data)


def sales(data: dict[str, Any]) -> str:
    body = table(
        ["Channel", "Orders", "Units", "Revenue (incl. VAT)"],
        [[c["channel"], c["orders"], c["units"], c["revenue"]] for c in data["channels"]],
    )
    return (
        f"Sales over the last {data['days']} days (orders not cancelled or returned):\n\n{body}\n\n"
        f"Total revenue {data['total_revenue']}." + _notes(data)
    )


def low_stock(data: dict[str, Any]) -> str:
    if not data["products"]:
        return "Nothing is below its reorder point."
    code = data.get("warehouse")
    headers = ["SKU", "Product", "Available (all warehouses)", "Reorder point"]
    if code:
        headers.insert(2, f"Available in {code}")
    rows = []
    for p in data["products"]:
        row = [p["sku"], p["title"], p["available"], p["reorder_point"]]
        if code:
            row.insert(2, p.get(f"available_{code}", 0))
        rows.append(row)
    scope = f", emptiest in {code} first" if code else ", most urgent first"
    return f"{data['count']} products are below their reorder point{scope}:\n\n" + table(headers, rows)


def products(data: dict[str, Any]) -> str:
    if not data["products"]:
        return f'I found no products matching "{data["query"]}".' + _notes(data)
    body = table(
        ["SKU", "Product", "Price (excl. VAT)", "Available"],
        [[p["sku"], p["title"], p["price_excl_vat"], p["available"]] for p in data["products"]],
    )
    return f'Products matching "{data["query"]}":\n\n{body}' + _notes(data)


def shipments(data: dict[str, Any]) -> str:
    filters = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in data.items() if k != "shipments" and v)
    if not data["shipments"]:
        return "There are no import shipments" + (f" with {filters}." if filters else ".")
    body = table(
        ["Shipment", "Supplier", "Route", "Status", "ETA", "Customs ref"],
        [
            [
                s["id"],
                s["supplier"],
                f"{s['route']} ({s['incoterm']})",
                s["status"].replace("_", " "),
                s["eta"],
                s["customs_reference"] or "-",
            ]
            for s in data["shipments"]
        ],
    )
    return f"{len(data['shipments'])} import shipments" + (f" ({filters})" if filters else "") + f":\n\n{body}"


def duty(data: dict[str, Any]) -> str:
    text = (
        f"HS {data['hs_code']} ({data['description']}): customs duty {data['general_rate_percent']:g}% of the "
        f"customs value (FOB in rand); goods of EU origin {data['eu_rate_percent']:g}% under the EU-SADC EPA."
    )
    if data.get("origin_country") and "applied_rate_percent" in data:
        text += f" From {data['origin_country']}: {data['applied_rate_percent']:g}%."
    text += " Import VAT is then 15% of (customs value + 10% + duty)."
    return (
        text + " Give me the FOB value, currency and origin for the landed cost. [tariff:" + str(data["hs_code"]) + "]"
    )


def _grouped(value: Any) -> str:
    """Thousands grouped by a space, as every other amount the assistant writes (`tools.context.rand`): R32 921.50."""
    return f"{float(value):,.2f}".replace(",", " ")


def _r(value: Any) -> str:
    return f"R{_grouped(value)}"


def _units(quantity: Any) -> str:
    return f"{quantity} unit" if quantity == 1 else f"{quantity} units"


def landed_cost(data: dict[str, Any]) -> str:
    rate = float(data["duty_rate"]) * 100
    rows = [
        [
            "Customs value",
            f"{data['currency']} {_grouped(data['fob_value'])} x {float(data['fx_rate']):g}",
            _r(data["customs_value_zar"]),
        ],
        ["Duty", f"{rate:g}% of the customs value", _r(data["duty_zar"])],
        ["Import VAT", f"15% of {_r(data['added_tax_value_zar'])}", _r(data["import_vat_zar"])],
        ["Freight", "", _r(data["freight_zar"])],
        ["Insurance", "", _r(data["insurance_zar"])],
        ["**Landed cost**", _units(data["quantity"]), f"**{_r(data['landed_cost_zar'])}**"],
    ]
    return (
        f"Landed cost of {_units(data['quantity'])} under HS {data['hs_code']} ({data['description']}) from "
        f"{data['origin_country']}:\n\n"
        + table(["", "How", "Rand"], rows)
        + f"\n\nThat is {_r(data['landed_cost_per_unit_zar'])} per unit. The import VAT is claimable as input tax by "
        f"a VAT vendor. [tariff:{data['hs_code']}]"
    )


def credits(data: dict[str, Any]) -> str:
    return (
        f"Your organisation has {data['balance']} left. Today {data['used_today']} of the daily quota of "
        f"{data['daily_quota']} is used."
    )


def transferred(data: dict[str, Any]) -> str:
    return (
        f"Done: moved {data['quantity']} x {data['sku']} from {data['from']['warehouse']} to "
        f"{data['to']['warehouse']}. Now {data['from']['available']} available in {data['from']['warehouse']} "
        f"and {data['to']['available']} in {data['to']['warehouse']}."
    )


def adjusted(data: dict[str, Any]) -> str:
    return (
        f"Done: {data['sku']} in {data['warehouse']} now has {data['on_hand']} on hand ({data['available']} available)."
    )


def order_changed(data: dict[str, Any]) -> str:
    return f"Done: order {data['number']} is now {data['status']}. [order:{data['number']}]"


def reorder_point_set(data: dict[str, Any]) -> str:
    return f"Done: the reorder point of {data['sku']} is now {data['reorder_point']}."


# Plans (issue 24) ----------------------------------------------------------------------------------------------
def _rate(per_day: float) -> str:
    """Units a day as a merchant reads them: slow sellers keep two significant digits (0.011, not 0.0)."""
    return f"{per_day:.2g}" if 0 < per_day < 0.1 else f"{per_day:.1f}".removesuffix(".0")


def _days(days: Any) -> str:
    return "-" if days is None else str(days)


def _plan_cells(row: dict[str, Any]) -> list[Any]:
    """Per day, days of cover and stockout date; a SKU without sales says so instead of a rate."""
    if row.get("days_of_cover") is None:
        return [row.get("note") or "no sales in 90 days", "-", "-"]
    return [_rate(row["per_day"]), row["days_of_cover"], row["stockout_date"] or "-"]


def reorder_plan(data: dict[str, Any]) -> str:
    where = f" in {data['warehouse']}" if data.get("warehouse") else ""
    horizon = f"the lead time plus {data['weeks']} weeks"
    if not data["products"]:
        return f"Nothing{where} needs ordering to cover {horizon}, and nothing runs out within its lead time."
    rows = [
        [
            p["sku"],
            p["warehouse"],
            p["available"],
            *_plan_cells(p),
            p["suggested_quantity"],
            p["suggested_reorder_point"],
        ]
        for p in data["products"]
    ]
    headers = [
        "SKU",
        "Warehouse",
        "Available",
        "Per day",
        "Days of cover",
        "Stockout date",
        "Suggested qty",
        "Suggested reorder point",
    ]
    level = round(float(data["service_level"]) * 100)
    notes = [f"{p['sku']} {p['warehouse']}: {p['note']}" for p in data["products"] if p.get("note")]
    text = (
        f"To cover {horizon}{where} ({level}% service level), {data['count']} lines need attention, soonest "
        f"stockout first:\n\n{table(headers, rows)}"
    )
    if notes:
        text += "\n\n" + "\n".join(f"- {note}" for note in notes[:8])
    text += (
        '\n\nSay "set these reorder points to the suggested values" to update them in one change (you confirm '
        "it first)."
    )
    return text + _notes(data)


def rebalance_plan(data: dict[str, Any]) -> str:
    subject = f" of {data['sku']} ({data['title']})" if data.get("sku") else ""
    if not data["moves"]:
        return (
            f"No transfers needed{subject}: moving stock would not even out days of cover without leaving a "
            "warehouse short."
        )
    rows = [
        [
            m["sku"],
            m["from"],
            m["to"],
            m["quantity"],
            f"{_days(m['destination_cover_days_before'])} -> {_days(m['destination_cover_days_after'])}",
            "no sales there" if m["source_cover_days_after"] is None else m["source_cover_days_after"],
        ]
        for m in data["moves"]
    ]
    headers = ["SKU", "From", "To", "Qty", "Days of cover at destination", "Days of cover left at source"]
    first = data["moves"][0]
    return (
        f"{data['count']} transfers{subject} even out days of cover between the warehouses, the most urgent "
        f'first:\n\n{table(headers, rows)}\n\nEach one can be made as a stock transfer, e.g. "move '
        f'{first["quantity"]} {first["sku"]} from {first["from"]} to {first["to"]}".' + _notes(data)
    )


def stockout_forecast(data: dict[str, Any]) -> str:
    head = f"**{data['title']}** ({data['sku']})"
    rows = data["forecast"]
    if len(rows) == 1 and rows[0].get("days_of_cover") is None:
        row = rows[0]
        return (
            f"{head} in {row['warehouse']}: {row['available']} available, {row.get('note') or 'no sales in 90 days'}"
            f", so there is no stockout date (days of cover: none forecast). [product:{data['sku']}]"
        )
    body = table(
        ["Warehouse", "Available", "Per day", "Days of cover", "Stockout date"],
        [[r["warehouse"], r["available"], *_plan_cells(r)] for r in rows],
    )
    dated = [r for r in rows if r.get("stockout_date")]
    summary = (
        f" runs out first in {dated[0]['warehouse']}, around {dated[0]['stockout_date']}"
        if dated
        else " has no sales in 90 days in these warehouses"
    )
    return f"{head}{summary} (forecast from the last 90 days of orders):\n\n{body}\n\n[product:{data['sku']}]"


def reorder_points_set(data: dict[str, Any]) -> str:
    lines = ", ".join(f"{p['sku']} {p['reorder_point']}" for p in data["products"])
    return f"Done: {data['count']} reorder points set ({lines})."
