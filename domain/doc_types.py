"""The kinds of document the search index holds: help-centre articles, products and orders. Defined here, below
retrieval, because ingest records (`domain.ingest_records`) store it too."""

from typing import Literal

DocType = Literal["kb", "product", "order"]
