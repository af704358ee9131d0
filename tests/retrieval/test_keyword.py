"""The BM25 leg: stemming, the doc-type mask inside the search, nothing for unmatched queries."""

from __future__ import annotations

from retrieval.keyword import KeywordIndex


def test_bm25_stems_masks_and_returns_only_matches() -> None:
    index = KeywordIndex(
        ["k1", "p1", "o1"],
        ["kb", "product", "order"],
        ["Connecting your Takealot seller account", "Takealot tent, 3 person", "Order 1042 shipped via Takealot"],
    )
    assert next(cid for cid, _ in index.search("connect takealot", 10)) == "k1"  # "connect" matches "Connecting"
    assert {cid for cid, _ in index.search("takealot", 10)} == {"k1", "p1", "o1"}
    assert [cid for cid, _ in index.search("takealot", 10, "product")] == ["p1"]
    assert index.search("zebra", 10) == []
    assert index.search("the and of", 10) == []  # stop words only
    assert KeywordIndex([], [], []).search("takealot", 5) == []
    assert index.search("tent", 10, "order") == []
