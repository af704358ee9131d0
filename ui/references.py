"""The side panel of the chat: what a clicked reference shows, as HTML.

- a help-centre source: the whole article, the cited passage highlighted (and scrolled to by the page);
- `product:SKU`: a product card with the stock per warehouse;
- `order:N`: an order card with its lines and status history.

Every read is under the organisation of the signed-in caller, so a reference to another organisation's
product, order or article shows "not found".
"""

from __future__ import annotations

import html
import re
from typing import Any

from markdown_it import MarkdownIt

from assistant.application import references as app_references
from assistant.application import search as app_search
from assistant.kb import Article
from assistant.ports import AppServices
from domain.errors import DomainError
from domain.orders import Order
from domain.orgs import Principal

_REF = re.compile(r"^(?:c(?P<index>\d{1,5})|(?P<kind>product|order):(?P<key>[A-Za-z0-9._-]{1,64}))$")


def _rand(cents: int) -> str:
    return f"R{cents / 100:,.2f}".replace(",", " ")


def _card(title: str, body: str, subtitle: str = "") -> str:
    sub = f'<div class="fx-ref-sub">{html.escape(subtitle)}</div>' if subtitle else ""
    return f'<div class="fx-ref"><h3 class="fx-ref-title">{html.escape(title)}</h3>{sub}{body}</div>'


def _not_found(what: str) -> str:
    return _card("Not found", f"<p>{html.escape(what)} is not in your organisation's data (any more).</p>")


def render_reference(services: AppServices, principal: Principal, ref: str, citations: list[dict[str, Any]]) -> str:
    match = _REF.match((ref or "").strip())
    if not match:
        return _card("Nothing to show", "<p>That link does not point to a source.</p>")
    if match.group("index") is not None:
        index = int(match.group("index"))
        if index >= len(citations):
            return _card("Nothing to show", "<p>That source belongs to an earlier session; ask again.</p>")
        citation = citations[index]
        source = str(citation.get("source", ""))
        if source.startswith(("product:", "order:")):
            kind, _, key = source.partition(":")
            return _entity(services, principal, kind, key)
        try:  # the organisation and the audiences come from the caller, never from the citation
            article = app_search.article(services, principal, str(citation.get("doc_id") or source))
        except DomainError:
            return _not_found(f"The article {source}")
        return article_html(article, str(citation.get("snippet") or ""))
    return _entity(services, principal, match.group("kind"), match.group("key"))


def _entity(services: AppServices, principal: Principal, kind: str, key: str) -> str:
    try:
        if kind == "product":
            return product_html(app_references.product_stock(services, principal, key))
        return order_html(app_references.order(services, principal, key))
    except DomainError:
        return _not_found(f"{kind.capitalize()} {key}")


def product_html(stock: app_references.ProductStock) -> str:
    product, levels = stock.product, stock.levels
    rows = "".join(
        f"<tr><td>{html.escape(lvl.warehouse)}</td><td>{lvl.on_hand}</td><td>{lvl.reserved}</td>"
        f"<td><b>{lvl.available}</b></td></tr>"
        for lvl in levels
    )
    total = sum(lvl.available for lvl in levels)
    low = total <= product.reorder_point
    body = (
        f"<p>{html.escape(product.description)}</p>"
        f'<table class="fx-ref-table"><thead><tr><th>Warehouse</th><th>On hand</th><th>Reserved</th>'
        f"<th>Available</th></tr></thead><tbody>{rows}</tbody></table>"
        f'<p class="{"fx-ref-warn" if low else ""}">{total} available in total; reorder point '
        f"{product.reorder_point}{' (below it: time to reorder)' if low else ''}.</p>"
        f"<p>{_rand(product.price_cents)} excl. VAT · {html.escape(product.category)}"
        + (f" · supplier {html.escape(product.supplier)}" if product.supplier else "")
        + "</p>"
    )
    return _card(product.title, body, product.sku)


def order_html(order: Order) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(line.sku)}</td><td>{html.escape(line.title)}</td><td>{line.quantity}</td>"
        f"<td>{_rand(line.unit_price_cents * line.quantity)}</td></tr>"
        for line in order.lines
    )
    history = " → ".join(f"{change.status.value} ({change.at:%d %b})" for change in order.history)
    body = (
        f'<p><span class="fx-ref-status">{html.escape(order.status.value)}</span> · '
        f"{html.escape(order.channel.value)} · ships from {html.escape(order.warehouse)} to "
        f"{html.escape(order.customer.city or 'the customer')}</p>"
        f'<table class="fx-ref-table"><thead><tr><th>SKU</th><th>Item</th><th>Qty</th><th>Amount</th></tr>'
        f"</thead><tbody>{rows}</tbody></table>"
        f"<p>Total <b>{_rand(order.total_cents)}</b> incl. {_rand(order.vat_cents)} VAT · placed "
        f"{order.created_at:%d %b %Y}</p>" + (f'<p class="fx-ref-sub">{html.escape(history)}</p>' if history else "")
    )
    return _card(f"Order {order.number}", body, order.customer.name)


def _normal(text: str) -> str:
    return " ".join(re.sub(r"[*_`#>]", " ", text).split())


# Article text is Markdown; raw HTML in it is shown as text, never run.
_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable("table")


def article_html(article: Article, snippet: str) -> str:
    """The article by section, rendered from Markdown; the section holding the cited passage is marked
    (`fx-cited`, highlighted), so the page can scroll to it."""
    wanted = _normal(snippet)[:100]
    parts, cited = [], False
    for section in article.sections:
        heading = " › ".join(h for h in section.heading_path if h != article.title)
        is_cited = not cited and bool(wanted) and wanted in _normal(section.text)
        cited = cited or is_cited
        head = f"<h4>{html.escape(heading)}</h4>" if heading else ""
        parts.append(
            f'<section class="fx-section{" fx-cited" if is_cited else ""}">{head}{_MARKDOWN.render(section.text)}'
            "</section>"
        )
    return _card(article.title, "".join(parts), article.source)
