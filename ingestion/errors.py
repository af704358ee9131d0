"""Errors of ingestion. They subclass `DomainError`, so the CLI and the API show them as one clear line."""

from __future__ import annotations

from domain.errors import DomainError


class IngestError(DomainError):
    """A run cannot start: a missing folder, a malformed source or shard, no search index configured."""

    code = "ingest_error"


class ParseError(Exception):
    """One file cannot be turned into text. The run reports it with its path and goes on with the next file."""


class FileRejected(IngestError):
    """One file is over a size limit. Like `ParseError` it is the file's own problem: the same bytes fail again."""

    code = "file_rejected"
