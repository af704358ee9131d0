"""`--shard I/N`: every document in exactly one shard; a vanished document deleted only by its owner."""

from __future__ import annotations

import pytest

from ingestion.errors import IngestError
from ingestion.pipeline import ingest_kb
from ingestion.sharding import parse_shard, shard_of
from tests.domain.fixtures import ORG
from tests.ingestion.doubles import write_kb

FILES = {f"articles/topic-{n:02d}.md": f"# Topic {n}\n\nArticle number {n} about stock." for n in range(24)}


def test_parse_shard():
    assert parse_shard("1/4") == (1, 4)
    assert parse_shard(" 0 / 2 ") == (0, 2)
    assert parse_shard("0/1") is None and parse_shard(None) is None
    assert parse_shard("auto", {"CLOUD_RUN_TASK_INDEX": "2", "CLOUD_RUN_TASK_COUNT": "3"}) == (2, 3)
    assert parse_shard("auto", {}) is None  # not in a Cloud Run job: the whole corpus
    for bad in ("4/4", "1/0", "a/b", "1-4"):
        with pytest.raises(IngestError):
            parse_shard(bad)
    with pytest.raises(IngestError, match="CLOUD_RUN_TASK_INDEX"):
        parse_shard("auto", {"CLOUD_RUN_TASK_INDEX": "x", "CLOUD_RUN_TASK_COUNT": "3"})


def test_shards_partition_the_corpus_and_delete_only_what_they_own(services, index, tmp_path):
    kb = write_kb(tmp_path / "kb", FILES)
    prefix = f"file://{kb.resolve().as_posix()}/"  # document ids are qualified by their folder
    ids = {prefix + name for name in FILES}
    written: list[set[str]] = []
    for i in range(3):
        index.reset_counts()
        report = ingest_kb(services, ORG, kb, shard=(i, 3))
        docs = {index.chunks[(ORG, cid)].doc_id for cid in index.upserted}
        assert report.added == len(docs) and report.other_shard == len(FILES) - len(docs)
        written.append(docs)
    assert set().union(*written) == ids  # union is everything ...
    assert sum(len(w) for w in written) == len(FILES)  # ... and no document is in two shards
    assert all(written)  # 24 documents over 3 shards: none is empty
    # Two files vanish; shard 0 deletes only the one it owns.
    owned = next(d for d in sorted(ids) if shard_of(d, 3) == 0)
    foreign = next(d for d in sorted(ids) if shard_of(d, 3) != 0)
    (kb / owned.removeprefix(prefix)).unlink()
    (kb / foreign.removeprefix(prefix)).unlink()
    report = ingest_kb(services, ORG, kb, shard=(0, 3))
    assert report.deleted == 1 and report.added == report.updated == 0
    assert owned not in index.by_doc(ORG) and foreign in index.by_doc(ORG)
    owner = shard_of(foreign, 3)
    assert ingest_kb(services, ORG, kb, shard=(owner, 3)).deleted == 1
    assert set(index.by_doc(ORG)) == ids - {owned, foreign}
