"""Credits & usage tab: balance, daily quota, the ledger and daily credit use by model and by tool.

The plots are built from the ledger's `settle` entries, whose details the assistant service writes
(`model`, `tools`, `tool_calls`, `embedded_chars`, `charged_mc`). Per-tool cost is not stored, so it is derived
from the price list: each tool call costs `TOOL_CALL_MC`, embeddings their per-character price; the rest of
what was charged is the model's tokens. The plots only read; they never need a composite index (the ledger is
read newest first and filtered here).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

import gradio as gr
import pandas as pd

from assistant.application import credits as app_credits
from assistant.application.policy import Capability, roles_for
from assistant.ports import AppServices
from assistant.pricing import EMBEDDING_PER_1K_CHARS_MC, TOOL_CALL_MC
from domain.credits import MC_PER_CREDIT, SAST, EntryKind, LedgerEntry, credits_text
from domain.store import utcnow
from ui.charts import stacked_bars_svg
from ui.session import friendly_error, org_name, require

CREDITS_ROLES = roles_for(Capability.credits_view)
LEDGER_ROWS = 50
PLOT_DAYS = 30
PLOT_ENTRIES = 2000  # newest ledger entries read for the plots; far more than 30 days of demo use
LEDGER_COLUMNS = ["time (SAST)", "kind", "credits", "balance after", "model", "tools", "note / request"]


def _credits(mc: int | float) -> float:
    return round(mc / MC_PER_CREDIT, 3)


def ledger_frame(entries: list[LedgerEntry]) -> pd.DataFrame:
    rows = []
    for entry in entries:
        details = entry.details or {}
        rows.append(
            [
                entry.created_at.astimezone(SAST).strftime("%Y-%m-%d %H:%M:%S"),
                entry.kind.value,
                _credits(entry.amount_mc),
                _credits(entry.balance_after_mc),
                details.get("model", ""),
                ", ".join(details.get("tools", [])),
                entry.note or details.get("reason", "") or entry.request_id,
            ]
        )
    return pd.DataFrame(rows, columns=LEDGER_COLUMNS)


def split_charge(details: dict[str, Any]) -> dict[str, int]:
    """Millicredits of one settled call per tool (and `embeddings`), derived from the price list; the rest is
    the model's. Scaled down when less was charged than it cost (the balance ran out)."""
    charged = int(details.get("charged_mc", 0))
    parts: dict[str, int] = defaultdict(int)
    for tool in details.get("tools", []):
        parts[str(tool)] += TOOL_CALL_MC
    embedded = int(details.get("embedded_chars", 0)) * EMBEDDING_PER_1K_CHARS_MC / 1000
    if embedded:
        parts["embeddings"] += round(embedded)
    total = sum(parts.values())
    if total > charged > 0:
        parts = defaultdict(int, {name: round(mc * charged / total) for name, mc in parts.items()})
    elif charged == 0:
        return {}
    return dict(parts)


def usage_frames(entries: list[LedgerEntry], days: int = PLOT_DAYS) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(credits per day and model, credits per day and tool) over the last `days` days, SAST days."""
    since = (utcnow() - timedelta(days=days - 1)).astimezone(SAST).date()
    by_model: dict[tuple[str, str], int] = defaultdict(int)
    by_tool: dict[tuple[str, str], int] = defaultdict(int)
    for entry in entries:
        if entry.kind != EntryKind.settle:
            continue
        day = entry.created_at.astimezone(SAST).date()
        if day < since:
            continue
        details = entry.details or {}
        charged = int(details.get("charged_mc", 0))
        by_model[(day.isoformat(), str(details.get("model") or "unknown"))] += charged
        for tool, mc in split_charge(details).items():
            by_tool[(day.isoformat(), tool)] += mc
    return _frame(by_model, "model"), _frame(by_tool, "tool")


def _frame(sums: dict[tuple[str, str], int], series: str) -> pd.DataFrame:
    rows = [(day, name, _credits(mc)) for (day, name), mc in sorted(sums.items())]
    # Explicit dtypes: an empty frame would otherwise be all `object`, the plot would take `credits` as a
    # category, and it keeps that axis type when real numbers arrive later (empty bars).
    return pd.DataFrame(rows, columns=["day", series, "credits"]).astype({"day": str, series: str, "credits": float})


class CreditsTab:
    def __init__(self, services: AppServices, key_state: gr.State) -> None:
        self.services = services
        self.key_state = key_state
        with gr.Row():
            self.summary = gr.Markdown("", elem_id="credits-summary")
            self.refresh = gr.Button("Refresh", size="sm", elem_id="credits-refresh", scale=0)
        with gr.Row():
            self.by_model = gr.HTML(elem_id="credits-by-model")
            self.by_tool = gr.HTML(elem_id="credits-by-tool")
        self.ledger = gr.Dataframe(
            headers=LEDGER_COLUMNS,
            label=f"Ledger (newest {LEDGER_ROWS})",
            interactive=False,
            wrap=True,
            elem_id="credits-ledger",
        )
        self.outputs = [self.summary, self.ledger, self.by_model, self.by_tool]

    def wire(self) -> None:
        self.refresh.click(self.load, [self.key_state], self.outputs, api_name="credits")

    def load(self, key: str | None) -> tuple:
        try:
            principal = require(self.services, key, CREDITS_ROLES)
            view = app_credits.overview(self.services, principal, ledger_limit=PLOT_ENTRIES)
            account, entries = view.account, view.ledger
        except Exception as exc:  # shown as a message, never a traceback
            return f"⚠ {friendly_error(exc)}", gr.skip(), gr.skip(), gr.skip()
        left_today = max(0, account.daily_quota_mc - account.used_today_mc)
        summary = (
            f"### {org_name(self.services, principal.org_id)}\n"
            f"**Balance:** {credits_text(account.balance_mc)} · "
            f"**Daily quota:** {credits_text(account.daily_quota_mc)} · "
            f"**Used today:** {credits_text(account.used_today_mc)} · "
            f"**Left today:** {credits_text(min(left_today, account.balance_mc))}\n\n"
            "_1 credit = R0.10. The quota resets at midnight SAST; reservations count until they are settled._"
        )
        model_df, tool_df = usage_frames(entries)
        return (
            summary,
            ledger_frame(entries[:LEDGER_ROWS]),
            stacked_bars_svg(model_df, "model", "Daily credit use by model"),
            stacked_bars_svg(tool_df, "tool", "Daily credit use by tool"),
        )
