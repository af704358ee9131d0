"""Stacked daily bar charts as inline SVG, drawn on the server.

Why not `gr.BarPlot`: in Gradio 6.31 a native plot whose data arrives after the page loaded (ours always does: the
ledger of the signed-in organisation) draws its axes but no bars in Chromium; only data given at build time shows.
An SVG string in `gr.HTML` has no client-side state to go stale, and the browser test can count its bars.

Theme-aware: text and grid lines are drawn in `currentColor`, which the page's CSS sets from the Gradio theme
(`.fx-chart { color: var(--body-text-color) }`), so they read in light and dark mode; the bar colours are
mid-tones that stand out on both backgrounds. The SVG scales to the width of its column (full width on a phone).
"""

from __future__ import annotations

import math
from datetime import date
from html import escape

PALETTE = ["#6366f1", "#0ea5e9", "#f59e0b", "#10b981", "#ef4444", "#a855f7", "#64748b", "#ec4899"]
WIDTH, HEIGHT, LEFT, RIGHT, BOTTOM, TOP = 440, 240, 60, 10, 44, 32
LABEL_EVERY = 7  # days between x-axis labels, counted back from the last day
CHART_CSS = """
<style>
.fx-chart { color: var(--body-text-color); width: 100%; }
.fx-chart svg { width: 100%; height: auto; max-width: 560px; display: block; }
.fx-chart text { fill: currentColor; }
.fx-chart .fx-grid { stroke: currentColor; stroke-opacity: 0.18; }
.fx-chart .fx-axis { stroke: currentColor; stroke-opacity: 0.6; }
</style>
"""


def nice_ticks(top: float, count: int = 4) -> list[float]:
    """Round tick values from 0 to at least `top`: steps of 1, 2, 2.5 or 5 times a power of ten."""
    if top <= 0:
        return [0.0, 0.25, 0.5, 0.75, 1.0]
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw - 1e-12)
    steps = math.ceil(top / step - 1e-9)
    return [round(i * step, 10) for i in range(steps + 1)]


def tick_text(value: float) -> str:
    return f"{value:,.4f}".rstrip("0").rstrip(".")


def day_text(day: date) -> str:
    return f"{day.day} {day:%b}"


def stacked_bars_svg(days: list[date], series: dict[str, list[float]], title: str, unit: str = "credits") -> str:
    """One bar per day (every day given, empty ones too), stacked by the named series, with a legend; the y axis
    is in `unit`, with round ticks."""
    names = sorted(name for name, values in series.items() if any(v > 0 for v in values))
    totals = [sum(series[name][i] for name in names) for i in range(len(days))]
    ticks = nice_ticks(max(totals, default=0.0))
    top = ticks[-1]
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(1, len(days))
    bar_w = max(1.0, slot * 0.72)
    legend_h = 20 * math.ceil(len(names) / 2)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT + legend_h}" role="img" '
        f'aria-label="{escape(title)}">',
        f'<text x="{LEFT}" y="16" font-weight="600" font-size="15">{escape(title)}</text>',
        f'<text transform="translate(12 {TOP + plot_h / 2:.0f}) rotate(-90)" text-anchor="middle" font-size="13">'
        f"{escape(unit)}</text>",
    ]
    for tick in ticks:
        y = TOP + plot_h - plot_h * tick / top
        parts.append(f'<line class="fx-grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="13">{tick_text(tick)}</text>')
    base_y = TOP + plot_h
    parts.append(f'<line class="fx-axis" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{base_y}" y2="{base_y}"/>')
    colours = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(names)}
    for i, day in enumerate(days):
        x = LEFT + slot * i + (slot - bar_w) / 2
        y = float(base_y)
        for name in names:
            value = series[name][i]
            if value <= 0:
                continue
            h = plot_h * value / top
            y -= h
            label = f"{day_text(day)} · {name}: {tick_text(value)} {unit}"
            parts.append(
                f'<rect class="fx-bar" x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{colours[name]}"><title>{escape(label)}</title></rect>'
            )
        if (len(days) - 1 - i) % LABEL_EVERY == 0:
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{base_y + 17}" text-anchor="middle" font-size="13">'
                f"{day_text(day)}</text>"
            )
    parts.append(
        f'<text x="{LEFT + plot_w / 2:.0f}" y="{base_y + 37}" text-anchor="middle" font-size="13">day (SAST)</text>'
    )
    if not names:
        parts.append(
            f'<text x="{LEFT + plot_w / 2:.0f}" y="{TOP + plot_h / 2:.0f}" text-anchor="middle" font-size="12">'
            "No credits used in this period</text>"
        )
    for i, name in enumerate(names):
        x, y = LEFT + (plot_w / 2) * (i % 2), HEIGHT + 20 * (i // 2) + 6
        parts.append(f'<rect x="{x:.0f}" y="{y - 9}" width="10" height="10" fill="{colours[name]}"/>')
        parts.append(f'<text x="{x + 15:.0f}" y="{y}" font-size="13">{escape(name)}</text>')
    parts.append("</svg>")
    return f'<div class="fx-chart">{"".join(parts)}</div>'
