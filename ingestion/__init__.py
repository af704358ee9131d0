"""Ingestion: knowledge-base files, products and orders turned into `retrieval.types.Chunk`s, kept in step with the
search index incrementally.

Dependency direction: `ingestion` -> `retrieval` (types only) and `domain`; never `assistant` at import time.
Public entry points: `ingestion.pipeline.ingest_kb`, `ingest_catalog`, `reindex_documents` and
`ingestion.demo.ingest_demo`.
"""
