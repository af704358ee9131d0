"""CSV cells that a spreadsheet shows but never runs (CSV injection): billing statements and the questions report
both write text that users typed."""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what Excel, LibreOffice and Sheets may evaluate


def safe_cell(value: str) -> str:
    """A text cell as a spreadsheet shows it, never runs it: a leading apostrophe keeps it text."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value
