"""Helpers every loader shares: strict text decoding, whitespace clean-up and a title from a file name."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from ingestion.errors import ParseError
from retrieval.types import AUDIENCES, Audience

_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM) only: guessing a legacy code page would index mojibake without telling anyone."""
    if b"\x00" in data[:8192]:
        raise ParseError("binary data where text was expected")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(f"not UTF-8 text (invalid byte at offset {exc.start})") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def collapse(text: str) -> str:
    """One space between words, as a browser renders inline text."""
    return _SPACES.sub(" ", text.replace("\n", " ")).strip()


def tidy(text: str) -> str:
    """Trailing spaces off every line and at most one blank line in a row."""
    lines = [line.rstrip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def title_from_name(name: str) -> str:
    """`returns-and-refunds.md` -> `Returns and refunds`: the title when a file names none itself."""
    stem = re.sub(r"[-_]+", " ", PurePosixPath(name).stem).strip()
    return stem[:1].upper() + stem[1:] if stem else name


def audience_of(value: str | None, name: str) -> Audience:
    """`public` (the default) or `internal`; anything else is refused rather than published by mistake."""
    audience = (value or "public").strip().strip("\"'").lower()
    if audience not in AUDIENCES:
        raise ParseError(f"{name}: audience must be public or internal, not {value!r}")
    return audience
