"""Credits & usage tab: balance and daily quota, one row per question with what it cost, and the credits of each of
the last 30 days by model and by tool.

The rows are `assistant.application.credits.usage`, the same as `GET /v1/credits/usage`. Per-tool cost is not
stored, so it is derived from the price list: each tool call costs `TOOL_CALL_MC`, embeddings their per-character
price; the rest of what a question cost is the model's tokens. Buying credits, the low-balance banner, invoices
and purchases are `ui.billing_panel`, built into this tab.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

import gradio as gr
import pandas as pd
from gradio.events import Dependency

from assistant.application import credits as app_credits
from assistant.application import identity
from assistant.application.credits import UsageReport, UsageRow
from assistant.application.policy import Capability
from assistant.pricing import EMBEDDING_PER_1K_CHARS_MC, TOOL_CALL_MC
from domain.credits import MC_PER_CREDIT, SAST, credits_text
from ui.billing_panel import BillingPanel
from ui.charts import CHART_CSS, stacked_bars_svg
from ui.chat_render import tool_label
from ui.session import UiServices, friendly_error, require

TABLE_ROWS = 100
USAGE_COLUMNS = ["time (SAST)", "what", "credits", "model", "tokens in / out", "tools", "balance after"]
CHART_MIN_WIDTH = 480  # side by side when there is room, else one under the other (full width on a phone)


def amount_text(credits: float) -> str:
    return f"{credits:,.3f}".rstrip("0").rstrip(".")


def describe(row: UsageRow) -> tuple[str, str]:
    """(what happened, the change of the balance) in words."""
    if row.kind == "question":
        return f"This question cost {amount_text(row.cost)} credits", f"−{amount_text(row.cost)}"
    if row.kind == "grant":
        note = f" ({row.note})" if row.note else ""
        return f"Top-up: {amount_text(row.added)} credits added{note}", f"+{amount_text(row.added)}"
    if row.kind == "refunded":
        reason = f": {row.note}" if row.note else ""
        return f"Refunded, nothing charged{reason}", "0"
    return f"Being answered: {amount_text(row.reserved)} credits held", f"({amount_text(row.reserved)} held)"


def usage_table(rows: list[UsageRow]) -> pd.DataFrame:
    table = []
    for row in rows:
        what, change = describe(row)
        tokens = f"{row.input_tokens:,} / {row.output_tokens:,}" if row.input_tokens or row.output_tokens else ""
        table.append(
            [
                row.at.astimezone(SAST).strftime("%Y-%m-%d %H:%M"),
                what,
                change,
                row.model,
                tokens,
                ", ".join(dict.fromkeys(tool_label(tool) for tool in row.tools)),
                amount_text(row.balance_after),
            ]
        )
    return pd.DataFrame(table, columns=USAGE_COLUMNS)


def split_charge(row: UsageRow) -> dict[str, float]:
    """Credits of one question per tool (and `embeddings`), derived from the price list; the rest is the model's.
    Scaled down when less was charged than it cost (the balance ran out)."""
    parts: dict[str, float] = defaultdict(float)
    for tool in row.tools:
        parts[tool] += TOOL_CALL_MC / MC_PER_CREDIT
    if row.embedded_chars:
        parts["embeddings"] += row.embedded_chars * EMBEDDING_PER_1K_CHARS_MC / 1000 / MC_PER_CREDIT
    total = sum(parts.values())
    if row.cost <= 0:
        return {}
    if total > row.cost:
        return {name: value * row.cost / total for name, value in parts.items()}
    return dict(parts)


def daily_series(report: UsageReport, by: str) -> tuple[list[date], dict[str, list[float]]]:
    """Every day of the report, and per model (by="model") or per tool (by="tool") the credits of each day."""
    days = [d.day for d in report.days]
    index = {day: i for i, day in enumerate(days)}
    series: dict[str, list[float]] = defaultdict(lambda: [0.0] * len(days))
    for row in report.rows:
        if row.kind != "question" or row.day not in index:
            continue
        parts = {row.model or "unknown": row.cost} if by == "model" else split_charge(row)
        for name, credits in parts.items():
            label = name if by == "model" or name == "embeddings" else tool_label(name)
            series[label][index[row.day]] += credits
    return days, dict(series)


class CreditsTab:
    def __init__(self, services: UiServices, key_state: gr.State) -> None:
        self.services = services
        self.key_state = key_state
        banner = gr.Markdown("", visible=False, elem_id="low-balance")
        with gr.Row():
            self.summary = gr.Markdown("", elem_id="credits-summary")
            self.refresh = gr.Button("Refresh", size="sm", elem_id="credits-refresh", scale=0, min_width=90)
        self.billing = BillingPanel(services, key_state, banner)
        with gr.Row(elem_id="credits-charts"):
            with gr.Column(min_width=CHART_MIN_WIDTH):
                self.by_model = gr.HTML(elem_id="credits-by-model", head=CHART_CSS)
            with gr.Column(min_width=CHART_MIN_WIDTH):
                self.by_tool = gr.HTML(elem_id="credits-by-tool")
        self.ledger = gr.Dataframe(
            headers=USAGE_COLUMNS,
            label=f"Questions and top-ups of the last {app_credits.USAGE_DAYS} days (newest {TABLE_ROWS})",
            interactive=False,
            wrap=True,
            elem_id="credits-ledger",
        )
        self.outputs = [self.summary, self.ledger, self.by_model, self.by_tool]

    def wire(self) -> None:
        # Two events, so that `/credits` keeps answering the usage alone; `/billing` is the rest of the tab.
        refreshed = self.refresh.click(self.load, [self.key_state], self.outputs, api_name="credits")
        self.billing.after_refresh(refreshed)
        self.billing.wire()

    def after_sign_in(self, loaded: Dependency) -> None:
        """Once the usage is loaded after a sign-in: the billing part."""
        self.billing.after_sign_in(loaded)

    def reset(self) -> tuple[Any, ...]:
        """The tab empty (outputs: `outputs`, then the billing panel's), so no one sees the previous user's."""
        return "", usage_table([]), "", "", *self.billing.reset()

    def load(self, key: str | None) -> tuple[Any, ...]:
        try:
            principal = require(self.services, key, Capability.credits_view)
            account = app_credits.account(self.services, principal)
            report = app_credits.usage(self.services, principal)
        except Exception as exc:  # shown as a message, never a traceback
            return f"⚠ {friendly_error(exc)}", gr.skip(), gr.skip(), gr.skip()
        left_today = max(0, account.daily_quota_mc - account.used_today_mc)
        spent = sum(day.credits for day in report.days)
        questions = sum(1 for row in report.rows if row.kind == "question")
        summary = (
            f"### {identity.org_name(self.services, principal)}\n"
            f"**Balance:** {credits_text(account.balance_mc)} · "
            f"**Daily quota:** {credits_text(account.daily_quota_mc)} · "
            f"**Used today:** {credits_text(account.used_today_mc)} · "
            f"**Left today:** {credits_text(min(left_today, account.balance_mc))}\n\n"
            f"Last {len(report.days)} days: {questions} question{'s' if questions != 1 else ''}, "
            f"{amount_text(spent)} credits.\n\n"
            "_1 credit = R0.10. The quota resets at midnight SAST; a question holds credits until it is answered._"
        )
        return (
            summary,
            usage_table(report.rows[:TABLE_ROWS]),
            stacked_bars_svg(*daily_series(report, "model"), "Credits per day, by model"),
            stacked_bars_svg(*daily_series(report, "tool"), "Credits per day, by tool"),
        )
