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


def test_the_ceiling_bounds_every_score_and_grows_with_words_the_corpus_never_uses() -> None:
    texts = ["receipt printer paper roll " * 20, "cash drawer key", "card reader pairing", "printer cleaning"]
    index = KeywordIndex([f"c{i}" for i in range(4)], ["kb"] * 4, texts)
    ceiling = index.ceiling("printer paper roll")
    best = index.search("printer paper roll", 1)[0][1]
    assert 0.8 * ceiling < best < ceiling  # a passage full of every term comes close, never above
    assert index.ceiling("printer paper roll eBay") > ceiling + index.ceiling("printer")  # the rarest term of all
    assert index.ceiling("the and of") == 0.0
