"""The shapes that cross the package's edges: loaded documents, progress events and the run report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, Field, computed_field

from retrieval.types import Audience

Outcome = Literal["added", "updated", "unchanged", "deleted", "failed", "ignored", "other_shard"]
# Progress of a document before its outcome: "read" (parsed and chunked, `chunks_total` chunks waiting to be
# embedded), "indexing" (`chunks_done` of them written).
Stage = Literal["read", "indexing"]


@dataclass(frozen=True)
class Part:
    """A run of a document's text. `markdown` parts are split further at their `#` headings by the chunker;
    `heading_path` is prefixed to the headings found inside (a PDF page is a part headed "Page N")."""

    text: str
    heading_path: tuple[str, ...] = ()
    markdown: bool = True


@dataclass(frozen=True)
class LoadedDocument:
    """A parsed source file, independent of its format: Markdown, HTML (converted to Markdown), PDF or text."""

    title: str
    parts: list[Part] = field(default_factory=list)
    audience: Audience = "public"  # from front matter `audience: public | internal`


class Failure(BaseModel):
    path: str
    reason: str
    permanent: bool = Field(
        default=False, description="The file itself is at fault (cannot be parsed, too large): it fails again as is"
    )


class IngestProgress(BaseModel):
    """One document handled; `done`/`total` count documents of this run (this shard's share). Before a changed
    document's outcome come its stages (`Stage`): `chunks_done`/`chunks_total` count the chunks of that document."""

    done: int
    total: int
    doc_id: str
    outcome: Outcome | Stage
    elapsed_seconds: float
    chunks_done: int | None = None
    chunks_total: int | None = None

    @property
    def docs_per_second(self) -> float:
        return self.done / self.elapsed_seconds if self.elapsed_seconds > 0 else 0.0


class IngestReport(BaseModel):
    """What one run did. `unchanged` is what the issue calls skipped: nothing was embedded or written for it."""

    source: str = ""
    org_id: str = ""
    shard: tuple[int, int] | None = None
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    failed: int = 0
    ignored: int = Field(default=0, description="Files of a type no loader reads (images, office files, ...)")
    other_shard: int = Field(default=0, description="Documents left to the other shards of a sharded run")
    failures: list[Failure] = Field(default_factory=list)
    chunks_written: int = 0
    chunks_deleted: int = 0
    seconds: float = 0.0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def skipped(self) -> int:
        return self.unchanged

    @property
    def documents(self) -> int:
        """Documents this run was responsible for (its shard), whatever happened to them."""
        return self.added + self.updated + self.unchanged + self.failed

    def count(self, outcome: Outcome) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)

    def merge(self, other: IngestReport) -> IngestReport:
        """The sum of two runs (e.g. the knowledge base and the catalogue of one organisation)."""
        data = self.model_dump(exclude={"skipped"})
        for name in ("added", "updated", "unchanged", "deleted", "failed", "ignored", "other_shard"):
            data[name] += getattr(other, name)
        data["chunks_written"] += other.chunks_written
        data["chunks_deleted"] += other.chunks_deleted
        data["seconds"] = round(self.seconds + other.seconds, 3)
        data["failures"] = [*self.failures, *other.failures]
        return IngestReport(**data)
