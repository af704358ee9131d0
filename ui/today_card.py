"""The "Today" card at the top of a new chat: the daily briefing (`assistant.application.briefing`, the figures
of GET /v1/briefing and of the planning tools) as a compact card, one block per section with a few short lines.

Each section's button, and each line, puts its `prompt` into the chat's input box and presses Send in the page
itself (`TODAY_JS`), so it runs exactly like a typed message: the same turn, Stop, credits line and conversation
list. The card hides, in the page's CSS alone, as soon as the conversation has a message, and shows again for an
empty one. It fails soft: a briefing that cannot be built is one line on the card, and chatting goes on.
Only the Chat tab shows it, so support staff and admins never do; `load` checks the role again anyway.
"""

from __future__ import annotations

import html

import gradio as gr

from assistant.application import briefing as app_briefing
from assistant.application.briefing import (
    Briefing,
    BriefingSection,
    CreditsItem,
    Item,
    LateOrderItem,
    RebalanceItem,
    ShipmentItem,
    StockoutItem,
)
from domain.errors import DomainError
from domain.orders import CHANNEL_NAMES
from ui.chat_view import CHAT_CAPABILITY
from ui.session import UiServices, friendly_error, new_request_id, signed_in

ELEM_ID = "today-card"
MAX_LINES = 3  # per section: the card is read at a glance, the button (or the API) has the rest
PHONE_LINES = 2  # on a phone's narrow screen a line wraps to two or three
WIDE_ONLY = ' class="fx-today-wide"'  # the lines a phone leaves out
UNAVAILABLE = "Today's briefing is not available right now"

# A click on a button or a line of the card: its prompt goes into the input box, then Send (after a tick, so that
# Gradio has read the box's new value). An answer still streaming keeps its turn (the card is hidden then anyway).
TODAY_JS = """
element.addEventListener('click', (event) => {
  const go = event.target.closest && event.target.closest('[data-fx-prompt]');
  if (!go || !element.contains(go) || window.fxAnswering) return;
  const box = document.querySelector('#chat-input textarea');
  const send = document.querySelector('#chat-send');
  if (!box || !send || send.disabled) return;
  box.value = go.dataset.fxPrompt;
  box.dispatchEvent(new Event('input', {bubbles: true}));
  setTimeout(() => send.click(), 0);
});
"""
# In the page's head (Gradio scopes `css` to the app, and the rules read the chat beside the card). While the card
# shows, the conversation is empty: the card takes the empty box's place (its one line: some of its room), so the
# card and the input box fit on a laptop's screen.
TODAY_CSS = """
<style>
body:has(#chat-history .message-row) #today-card, #today-card:not(:has(.fx-today)) { display: none !important; }
body:has(#today-card .fx-today):not(:has(#chat-history .message-row)) #chat-history {
  height: calc(62vh - 80px) !important; min-height: 160px !important; }
body:has(#today-card .fx-today-sections):not(:has(#chat-history .message-row)) #chat-history {
  display: none !important; }
#today-card .fx-today { border: 1px solid var(--border-color-primary); border-radius: 10px; padding: 8px 12px;
  background: var(--background-fill-secondary); color: var(--body-text-color); font-size: 0.92em; }
#today-card .fx-today-head { display: flex; align-items: baseline; gap: 8px; margin: 0 0 6px; }
#today-card .fx-today-head b { font-size: 1.1em; }
/* The theme's subdued grey is 2.4:1 on a light card: a darker one there, the theme's on a dark card (7:1). */
#today-card .fx-today-date, #today-card .fx-today-more, #today-card .fx-today-clear { color: var(--neutral-600); }
.dark #today-card .fx-today-date, .dark #today-card .fx-today-more, .dark #today-card .fx-today-clear {
  color: var(--neutral-400); }
#today-card .fx-today-sections { display: grid; grid-template-columns: repeat(auto-fit, minmax(340px, 1fr));
  gap: 6px 16px; }
#today-card .fx-today-sec { min-width: 0; }
#today-card .fx-today-row, #today-card .fx-today-foot { display: flex; align-items: center; gap: 8px;
  margin: 2px 0; }
#today-card .fx-today-foot { margin: 3px 0 2px 4px; }
#today-card .fx-today-title { font-weight: 600; min-width: 0; overflow: hidden; text-overflow: ellipsis;
  white-space: nowrap; }
#today-card .fx-today-count { border-radius: 999px; padding: 0 7px; font-size: 0.85em; font-weight: 600;
  background: var(--color-accent-soft); color: var(--body-text-color); }
#today-card button.fx-today-go { min-height: 32px; padding: 2px 12px; border-radius: 6px; text-align: left;
  font-weight: 600; cursor: pointer; color: #fff; border: 1px solid var(--primary-600);
  background: var(--primary-600); }  /* white on the theme's 500 is 4.47:1, on its 600 over 6:1 */
#today-card button.fx-today-go:hover { background: var(--primary-700); }
#today-card ul { list-style: none; margin: 0; padding: 0; }
#today-card li { margin: 0; padding: 0; }
#today-card button.fx-today-line { display: block; width: 100%; text-align: left; padding: 3px 4px; margin: 0;
  border: 0; border-radius: 4px; background: transparent; color: var(--body-text-color); font: inherit;
  cursor: pointer; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
#today-card button.fx-today-line:hover, #today-card button.fx-today-line:focus-visible {
  background: var(--color-accent-soft); }
#today-card .fx-today-more { font-size: 0.9em; white-space: nowrap; }
#today-card .fx-today-clear { margin: 6px 0 0; font-size: 0.9em; }
#today-card .fx-today-narrow { display: none; }
@media (max-width: 767px) {
  #today-card .fx-today-wide { display: none; }
  #today-card .fx-today-narrow { display: inline; }
  #today-card .fx-today-sections { grid-template-columns: 1fr; }
  #today-card button.fx-today-line, #today-card .fx-today-title { white-space: normal; }
}
</style>
"""


def component() -> gr.HTML:
    """The card's place in the chat tab (empty, so hidden, until `load` fills it)."""
    return gr.HTML("", elem_id=ELEM_ID, js_on_load=TODAY_JS, head=TODAY_CSS, apply_default_css=False)


def load(services: UiServices, key: str | None) -> str:
    """The card of the signed-in merchant's organisation; "" for anyone else (no chat, no card)."""
    principal = signed_in(services, key, CHAT_CAPABILITY)
    if principal is None:
        return ""
    request_id = new_request_id()
    try:
        found = app_briefing.build(services, principal)
    except Exception as exc:  # never a traceback, never in the way of the chat
        reason = friendly_error(exc, request_id)  # logs what is ours, with the reference
        # One short line: a domain error says why; for anything else the reference is on hover.
        return failed_html(reason if isinstance(exc, DomainError) else "", f"reference {request_id}")
    return today_html(found)


def failed_html(reason: str = "", reference: str = "") -> str:
    line = f"{UNAVAILABLE}: {reason}" if reason else f"{UNAVAILABLE}; ask away below as usual."
    return f'<div class="fx-today fx-today-failed" role="status" title="{_attr(reference)}">⚠ {_text(line)}</div>'


def today_html(found: Briefing) -> str:
    day = found.date
    head = (
        f'<div class="fx-today-head"><b>Today</b><span class="fx-today-date">{day:%A} {day.day} {day:%B}</span></div>'
    )
    busy = [section for section in found.sections if section.items]
    quiet = [section.title for section in found.sections if not section.items]
    body = "".join(section_html(section) for section in busy)
    if busy:
        body = f'<div class="fx-today-sections">{body}</div>'
    clear = ""
    if not busy:
        clear = '<p class="fx-today-clear">Nothing needs your attention today.</p>'
    elif quiet:  # the sections with nothing to say, in one line
        clear = f'<p class="fx-today-clear">Nothing today: {_text(" · ".join(quiet))}</p>'
    return f'<section class="fx-today" aria-label="Today">{head}{body}{clear}</section>'


def section_html(section: BriefingSection) -> str:
    button = (
        f'<button type="button" class="fx-today-go" data-fx-prompt="{_attr(section.prompt)}" '
        f'title="{_attr(section.prompt)}">{_text(button_label(section.prompt))}</button>'
        if section.prompt
        else ""
    )
    rows = [line_html(item, section.prompt) for item in section.items[:MAX_LINES]]
    lines = "".join(f"<li{WIDE_ONLY if n >= PHONE_LINES else ''}>{row}</li>" for n, row in enumerate(rows))
    # How many lines are not shown: on a laptop, and on a phone (fewer lines); the page's CSS picks one.
    more = _more(section.total - len(rows), "fx-today-wide") + _more(
        section.total - min(len(rows), PHONE_LINES), "fx-today-narrow"
    )
    count = f'<span class="fx-today-count">{section.total}</span>' if section.kind != "credits" else ""
    foot = f'<div class="fx-today-foot">{button}{more}</div>' if button or more else ""
    return (
        f'<div class="fx-today-sec" data-kind="{_attr(section.kind)}"><div class="fx-today-row">'
        f'<span class="fx-today-title">{_text(section.title)}</span>{count}</div><ul>{lines}</ul>{foot}</div>'
    )


def _more(count: int, screen: str) -> str:
    return f'<span class="fx-today-more {screen}">+ {count} more</span>' if count > 0 else ""


def button_label(prompt: str) -> str:
    """What the section's button says: its prompt up to the list it names ("Plan reorders for these 5")."""
    return prompt.split(": ", 1)[0]


def line_html(item: Item, section_prompt: str) -> str:
    """One item as a short line (the API's full `text` is its tooltip); a line asks its own question when that is
    not the section's button's."""
    line, full = compact(item), _attr(item.text)
    if not item.prompt or item.prompt == section_prompt:
        return f'<span class="fx-today-line" title="{full}">{line}</span>'
    return (
        f'<button type="button" class="fx-today-line" data-fx-prompt="{_attr(item.prompt)}" title="{full}">'
        f"{line}</button>"
    )


def compact(item: Item) -> str:
    """The item's figures in a few words, as HTML; an item of a kind this card does not know shows its text."""
    if isinstance(item, StockoutItem):
        out = item.stockout_date
        when = f"runs out {out.day} {out:%b}" if out else "no sales in 90 days"
        return (  # the figures first: a narrow card cuts the end of a line (the tooltip has all of it)
            f"<b>{_text(item.sku)}</b> {_text(item.warehouse)}: {when}, {item.available} left, order "
            f"{item.suggested_quantity} · {_text(item.title)}"
        )
    if isinstance(item, RebalanceItem):
        return (
            f"<b>Move {item.quantity} × {_text(item.sku)}</b> {_text(item.source)} → {_text(item.destination)}: "
            f"{_text(item.destination)} cover {_number(item.destination_cover_days_before)} → "
            f"{_days(item.destination_cover_days_after)}"
        )
    if isinstance(item, LateOrderItem):
        channel = next((name for known, name in CHANNEL_NAMES.items() if known.value == item.channel), item.channel)
        return (
            f"<b>Order {item.number}</b> ({_text(channel)}, {_text(item.warehouse)}, {_text(item.status.value)}): "
            f"{item.hours_late} h late"
        )
    if isinstance(item, ShipmentItem):
        due = (
            f"{item.days_late} day{_s(item.days_late)} late"
            if item.days_late
            else "due today"
            if item.days_to_eta == 0
            else f"due in {item.days_to_eta} day{_s(item.days_to_eta)}"
        )
        return (
            f"<b>{_text(item.id)}</b> {_text(item.origin_port)} → {_text(item.destination_warehouse)} "
            f"({_text(item.mode)}): {due}"
        )
    if isinstance(item, CreditsItem):
        left = (
            f"about {item.days_left:g} days left at {item.average_daily_use:.2f} a day"
            if item.days_left is not None
            else "none used in the last 7 days"
        )
        return f"<b>{item.balance:,.1f} credits</b>: {left}"
    return _text(item.text)


def _days(value: float | None) -> str:
    return "no sales" if value is None else f"{value:.0f} day{_s(round(value))}"


def _number(value: float | None) -> str:
    return "no sales" if value is None else f"{value:.0f}"


def _s(count: int) -> str:
    return "" if count == 1 else "s"


def _text(value: str) -> str:
    # gr.HTML renders its value as it is (no sanitising): every figure from the data is escaped.
    return html.escape(value, quote=False)


def _attr(value: str) -> str:
    return html.escape(value, quote=True)
