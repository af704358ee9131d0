"""The hosted payment page and its refusals: plain HTML that reads well at 390px wide, with no script at all."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

STYLE = """
body { font-family: system-ui, sans-serif; margin: 0; background: #f4f6f8; color: #1b1f24; font-size: 1.125rem; }
main { max-width: 28rem; margin: 0 auto; padding: 1.5rem 1rem; }
.card { background: #fff; border-radius: 0.75rem; padding: 1.25rem; box-shadow: 0 1px 3px rgb(0 0 0 / 15%); }
.note { font-size: 0.95rem; color: #4a5360; }
dl { margin: 1rem 0; } dt { font-size: 0.95rem; color: #4a5360; } dd { margin: 0 0 0.75rem; font-weight: 600; }
.amount { font-size: 2rem; }
button { display: block; width: 100%; min-height: 3.25rem; margin-top: 0.75rem; font-size: 1.125rem;
  border-radius: 0.5rem; border: 2px solid #0b5cad; cursor: pointer; }
#payfast-pay { background: #0b5cad; color: #fff; }
#payfast-cancel { background: #fff; color: #0b5cad; }
button:focus-visible { outline: 3px solid #f2a900; outline-offset: 2px; }
"""


def rand(cents: int) -> str:
    """An amount the way a South African buyer reads it: R1,150.00."""
    return f"R{cents // 100:,}.{cents % 100:02d}"


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
        f'<body><main><div class="card">{body}</div>'
        '<p class="note">PayFast sandbox of Fluxori: no money moves.</p></main></body></html>\n'
    )


def process_page(posted: Iterable[tuple[str, str]], item_name: str, description: str, cents: int, url: str) -> str:
    """The payment page: the checkout's fields ride along hidden, and each button adds its `action`."""
    hidden = "".join(f'<input type="hidden" name="{escape(key)}" value="{escape(value)}">' for key, value in posted)
    detail = f"<dt>Description</dt><dd>{escape(description)}</dd>" if description.strip() else ""
    return _page(
        f"Pay {rand(cents)} - PayFast sandbox",
        "<h1>Confirm your payment</h1>"
        f"<dl><dt>Item</dt><dd>{escape(item_name)}</dd>{detail}"
        f'<dt>Amount</dt><dd class="amount">{rand(cents)}</dd></dl>'
        f'<form method="post" action="{escape(url)}">{hidden}'
        '<button type="submit" id="payfast-pay" name="action" value="pay">Pay</button>'
        '<button type="submit" id="payfast-cancel" name="action" value="cancel">Cancel</button>'
        "</form>",
    )


def refusal_page(problems: Iterable[str]) -> str:
    items = "".join(f"<li>{escape(problem)}</li>" for problem in problems)
    return _page(
        "Payment request refused - PayFast sandbox",
        f'<h1>PayFast refused this payment request</h1><ul role="alert">{items}</ul>',
    )


def finished_page(status: str) -> str:
    """Shown when the checkout gave no return_url or cancel_url to send the buyer back to."""
    words = {"COMPLETE": "Payment complete", "CANCELLED": "Payment cancelled", "FAILED": "Payment failed"}
    heading = words.get(status, status)
    return _page(f"{heading} - PayFast sandbox", f"<h1>{escape(heading)}</h1><p>You may close this window.</p>")
