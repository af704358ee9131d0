"""Test doubles and builders for ingestion tests.

`InMemorySearchService` is a DOUBLE of `retrieval.types.SearchService`: it keeps chunks in a dict and counts
every write, so tests can assert what ingestion wrote and that a re-run writes nothing. Its `search` is a naive
word-overlap ranking, not retrieval's. The real search service is exercised in `test_end_to_end.py`.
"""

from __future__ import annotations

import io
import zlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from domain.catalog import ProductRepository
from domain.inventory import InventoryRepository
from domain.orders import OrderRepository
from domain.store import Store
from retrieval.types import Chunk, SearchHit


class InMemorySearchService:
    """Double of the retrieval SearchService (see module docstring)."""

    def __init__(self) -> None:
        self.chunks: dict[tuple[str, str], Chunk] = {}
        self.upserts: list[list[str]] = []  # chunk ids per upsert call
        self.deletes: list[list[str]] = []
        self.fail_upserts = False

    def upsert_chunks(self, chunks: Sequence[Chunk]) -> None:
        if self.fail_upserts:
            raise ConnectionError("index unavailable")
        self.upserts.append([c.chunk_id for c in chunks])
        for chunk in chunks:
            self.chunks[(chunk.org_id, chunk.chunk_id)] = chunk

    def delete_chunks(self, org_id: str, chunk_ids: Sequence[str]) -> None:
        self.deletes.append(list(chunk_ids))
        for chunk_id in chunk_ids:
            self.chunks.pop((org_id, chunk_id), None)

    def search(
        self, org_id: str, query: str, k: int = 5, doc_type: str | None = None, audiences: Sequence[str] = ("public",)
    ) -> list[SearchHit]:
        words = set(query.lower().split())
        scored = []
        for (org, _), chunk in self.chunks.items():
            if org != org_id or (doc_type and chunk.doc_type != doc_type) or chunk.audience not in audiences:
                continue
            score = len(words & set(chunk.text.lower().split()))
            if score:
                scored.append((score, chunk))
        scored.sort(key=lambda pair: (-pair[0], pair[1].chunk_id))
        return [SearchHit(**c.model_dump(exclude={"org_id", "content_hash"}), score=s) for s, c in scored[:k]]

    def ready(self) -> bool:
        return True

    # Test helpers -------------------------------------------------------------------------------------------
    @property
    def upserted(self) -> list[str]:
        return [i for call in self.upserts for i in call]

    @property
    def deleted(self) -> list[str]:
        return [i for call in self.deletes for i in call]

    def reset_counts(self) -> None:
        self.upserts.clear()
        self.deletes.clear()

    def by_doc(self, org_id: str) -> dict[str, list[Chunk]]:
        docs: dict[str, list[Chunk]] = defaultdict(list)
        for (org, _), chunk in sorted(self.chunks.items()):
            if org == org_id:
                docs[chunk.doc_id].append(chunk)
        return dict(docs)


@dataclass
class IngestTestServices:
    """The attributes of `app.wiring.Services` that ingestion uses, over real repositories."""

    store: Store
    searcher: InMemorySearchService = field(default_factory=InMemorySearchService)

    def __post_init__(self) -> None:
        self.products = ProductRepository(self.store)
        self.inventory = InventoryRepository(self.store, self.products)
        self.orders = OrderRepository(self.store, self.inventory)


def make_pdf(pages: list[str], title: str | None = None) -> bytes:
    """A minimal, valid PDF with one line of Helvetica text per page (written by hand: no binary fixture)."""
    objects: list[bytes] = []
    page_ids = [3 + 2 * i for i in range(len(pages))]
    font_id = 3 + 2 * len(pages)
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{' '.join(f'{p} 0 R' for p in page_ids)}] /Count {len(pages)} >>".encode())
    for page_id, text in zip(page_ids, pages, strict=True):
        escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        lines = escaped.split("\n")
        ops = "BT /F1 12 Tf 14 TL 72 720 Td " + " T* ".join(f"({line}) Tj" for line in lines) + " ET"
        stream = zlib.compress(ops.encode("latin-1"))
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {page_id + 1} 0 R "
            f"/Resources << /Font << /F1 {font_id} 0 R >> >> >>".encode()
        )
        objects.append(f"<< /Length {len(stream)} /Filter /FlateDecode >>\nstream\n".encode() + stream + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    info_id = None
    if title:
        objects.append(f"<< /Title ({title}) >>".encode("latin-1"))
        info_id = len(objects)
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    trailer = f"<< /Size {len(objects) + 1} /Root 1 0 R" + (f" /Info {info_id} 0 R" if info_id else "") + " >>"
    out.write(f"trailer\n{trailer}\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


LONG_SECTION = " ".join(
    f"Sentence {n} explains how a reserved unit stays on hand until the order ships from the warehouse."
    for n in range(40)
)

KB_FILES: dict[str, str | bytes] = {
    "channels/connect-takealot.md": (
        "# Connecting Takealot\n\nLink your Takealot seller account to Fluxori.\n\n"
        "## Before you start\n\nYou need a Takealot API key from the Seller Portal.\n\n"
        "## Steps\n\n1. Open **Settings > Channels**.\n2. Paste the API key and click Connect.\n\n"
        "### Troubleshooting\n\nAn invalid key shows error 401.\n"
    ),
    "inventory/stock-explained.md": (
        f"# Stock explained\n\n## Reserved stock\n\n{LONG_SECTION}\n\n## Available\n\nOn hand minus reserved.\n"
    ),
    "importing/customs.html": (
        "<html><head><title>Customs duty and import VAT</title><script>track()</script></head><body>"
        "<nav>Home | Help</nav><h1>Customs duty and import VAT</h1><p>SARS charges <b>customs duty</b> on the "
        "customs value.</p><h2>Import VAT</h2><p>Import VAT is 15% of the added tax value.</p>"
        "<h3>Example</h3><ul><li>Customs value R10 000</li><li>Duty 20%</li></ul></body></html>"
    ),
    "getting-started/glossary.txt": "Fluxori glossary\nSKU: stock keeping unit.\nJHB: Johannesburg warehouse.\n",
    "importing/incoterms.pdf": make_pdf(
        ["Incoterms guide\nFOB means free on board.", "DDP means delivered duty paid."]
    ),
    "images/logo.png": b"\x89PNG\r\n\x1a\n not really",
}


def write_kb(root: Path, files: dict[str, str | bytes] | None = None) -> Path:
    for name, content in (KB_FILES if files is None else files).items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root
