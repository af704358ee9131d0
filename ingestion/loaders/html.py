"""HTML with BeautifulSoup (lxml parser), rendered to Markdown so that headings keep their structure.

Why not LangChain's HTML splitters directly: measured on a plain article, `HTMLHeaderTextSplitter` moves the text
of inline elements (`<b>`, `<a>`) out of reading order, and `HTMLSectionSplitter` keeps only the innermost
heading. Rendering `<h1>`-`<h6>` as `#` headings and letting `MarkdownHeaderTextSplitter` split keeps both the
reading order and the full heading path, with one code path for Markdown and HTML.
"""

from __future__ import annotations

from bs4 import BeautifulSoup, Tag
from bs4.element import Comment, Declaration, Doctype, NavigableString, ProcessingInstruction

from ingestion.errors import ParseError
from ingestion.loaders.common import audience_of, collapse, tidy, title_from_name
from ingestion.models import LoadedDocument, Part

# Page furniture and code, not article text.
_DROP = ("script", "style", "noscript", "template", "svg", "nav", "iframe", "button", "form")
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_BLOCKS = {
    "address", "article", "aside", "blockquote", "body", "dd", "details", "div", "dl", "dt", "fieldset",
    "figcaption", "figure", "footer", "header", "hr", "html", "li", "main", "p", "section", "summary",
}  # fmt: skip
_SKIPPED_STRINGS = (Comment, Declaration, Doctype, ProcessingInstruction)


class _Renderer:
    """Walks the DOM once in document order, collecting inline text into paragraphs between blocks."""

    def __init__(self) -> None:
        self.blocks: list[str] = []
        self.inline: list[str] = []

    def flush(self) -> None:
        if text := collapse("".join(self.inline)):
            self.blocks.append(text)
        self.inline.clear()

    def walk(self, element: Tag) -> None:
        for child in element.children:
            if isinstance(child, NavigableString):
                if not isinstance(child, _SKIPPED_STRINGS):
                    self.inline.append(str(child))
            elif isinstance(child, Tag):
                self.element(child)

    def element(self, tag: Tag) -> None:
        name = tag.name
        if name in _HEADINGS:
            self.flush()
            if text := collapse(tag.get_text(" ")):
                self.blocks.append(f"{'#' * _HEADINGS[name]} {text}")
        elif name == "br":
            self.inline.append(" ")
        elif name == "pre":
            self.flush()
            self.blocks.append("```\n" + tag.get_text().strip("\n") + "\n```")
        elif name in ("ul", "ol"):
            self.flush()
            self.list_items(tag, ordered=name == "ol")
        elif name == "table":
            self.flush()
            self.table(tag)
        elif name in _BLOCKS:
            self.flush()
            self.walk(tag)
            self.flush()
        else:  # inline: <a>, <b>, <code>, <span> ... keep reading order
            self.walk(tag)

    def list_items(self, tag: Tag, ordered: bool) -> None:
        items = [li for li in tag.find_all("li", recursive=False)]
        lines = []
        for n, li in enumerate(items, 1):
            text = collapse(li.get_text(" "))
            if text:
                lines.append(f"{n}. {text}" if ordered else f"- {text}")
        if lines:
            self.blocks.append("\n".join(lines))

    def table(self, tag: Tag) -> None:
        rows = []
        for tr in tag.find_all("tr"):
            cells = [collapse(cell.get_text(" ")) for cell in tr.find_all(["th", "td"])]
            if any(cells):
                rows.append("| " + " | ".join(cells) + " |")
        if rows:
            self.blocks.append("\n".join(rows))


def html_to_markdown(soup: BeautifulSoup) -> str:
    renderer = _Renderer()
    renderer.walk(soup.body or soup)
    renderer.flush()
    return tidy("\n\n".join(renderer.blocks))


def load_html(data: bytes, name: str) -> LoadedDocument:
    if b"\x00" in data[:8192]:
        raise ParseError("binary data where HTML was expected")
    try:
        # Bytes, not str: BeautifulSoup honours <meta charset> and a BOM when it decodes.
        soup = BeautifulSoup(data, "lxml")
    except Exception as exc:  # lxml is forgiving; what it still rejects is not HTML
        raise ParseError(f"cannot parse HTML: {exc}") from None
    meta = soup.find("meta", attrs={"name": "audience"})
    audience = audience_of(str(meta.get("content", "")) if meta else None, name)  # <meta name="audience" ...>
    for tag in soup.find_all(_DROP):
        tag.decompose()
    head_title = collapse(soup.title.get_text()) if soup.title else ""
    if soup.head:
        soup.head.decompose()
    h1 = soup.find("h1")
    title = head_title or (collapse(h1.get_text(" ")) if h1 else "") or title_from_name(name)
    return LoadedDocument(title=title, parts=[Part(text=html_to_markdown(soup))], audience=audience)
