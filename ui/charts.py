"""Stacked daily bar charts as inline SVG, drawn on the server.

Why not `gr.BarPlot`: in Gradio 6.31 a native plot whose data arrives after the page loaded (ours always does: the
ledger of the signed-in organisation) draws its axes but no bars in Chromium; only data given at build time shows.
An SVG string in `gr.HTML` has no client-side state to go stale, and the browser test can count its bars.
"""

from __future__ import annotations

from html import escape

import pandas as pd

PALETTE = ["#4f46e5", "#0ea5e9", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#64748b", "#ec4899"]
WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 520, 240, 48, 44, 28


def stacked_bars_svg(frame: pd.DataFrame, series: str, title: str) -> str:
    """`frame` has columns day, `series`, credits; one bar per day, stacked by `series`, with a legend."""
    frame = frame[frame["credits"] > 0]
    if frame.empty:
        return f'<div class="fx-chart"><b>{escape(title)}</b><p>No credits used in this period.</p></div>'
    days = sorted(frame["day"].unique())
    names = sorted(frame[series].unique())
    colours = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(names)}
    totals = frame.groupby("day")["credits"].sum()
    top = float(totals.max()) or 1.0
    plot_w, plot_h = WIDTH - LEFT - 10, HEIGHT - TOP - BOTTOM
    slot = plot_w / len(days)
    bar_w = min(48.0, slot * 0.7)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT + 20 * len(names)}" '
        f'role="img" aria-label="{escape(title)}" style="width:100%;max-width:{WIDTH}px">',
        f'<text x="{WIDTH / 2}" y="16" text-anchor="middle" font-weight="600" font-size="13">{escape(title)}</text>',
    ]
    for tick in range(5):
        value = top * tick / 4
        y = TOP + plot_h - plot_h * tick / 4
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e7eb"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="10">{value:.3g}</text>')
    for i, day in enumerate(days):
        x = LEFT + slot * i + (slot - bar_w) / 2
        base: float = TOP + plot_h
        rows = frame[frame["day"] == day].sort_values(series)
        for _, row in rows.iterrows():
            h = plot_h * float(row["credits"]) / top
            base -= h
            label = f"{day} · {row[series]}: {row['credits']:.3f} credits"
            parts.append(
                f'<rect class="fx-bar" x="{x:.1f}" y="{base:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{colours[row[series]]}"><title>{escape(label)}</title></rect>'
            )
        parts.append(
            f'<text x="{x + bar_w / 2:.1f}" y="{TOP + plot_h + 14}" text-anchor="middle" font-size="10">'
            f"{escape(str(day)[5:])}</text>"
        )
    for i, name in enumerate(names):
        y = HEIGHT + 20 * i - 6
        parts.append(f'<rect x="{LEFT}" y="{y - 9}" width="10" height="10" fill="{colours[name]}"/>')
        parts.append(f'<text x="{LEFT + 16}" y="{y}" font-size="11">{escape(str(name))}</text>')
    parts.append("</svg>")
    return f'<div class="fx-chart">{"".join(parts)}</div>'
