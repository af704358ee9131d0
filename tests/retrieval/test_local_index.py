"""The on-disk dense index: scoping inside the query, updates and deletes by id, persistence, two writers."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import numpy as np
import pytest

from retrieval.dense_local import LocalVectorIndex

DIM = 8


def unit(*values: float) -> np.ndarray:
    vector = np.zeros(DIM, dtype=np.float32)
    vector[: len(values)] = values
    return vector / np.linalg.norm(vector)


def open_index(root: Path) -> LocalVectorIndex:
    return LocalVectorIndex(root, dim=DIM, model="m")


def test_org_and_doc_type_scope_the_query(tmp_path: Path) -> None:
    index = open_index(tmp_path)
    index.upsert("a", ["a1", "a2"], np.stack([unit(1), unit(0, 1)]), ["kb", "product"])
    index.upsert("b", ["b1"], np.stack([unit(1)]), ["kb"])
    assert [cid for cid, _ in index.query("a", unit(1), 10)] == ["a1", "a2"]
    assert [cid for cid, _ in index.query("b", unit(1), 10)] == ["b1"]
    assert [cid for cid, _ in index.query("a", unit(1), 10, "product")] == ["a2"]
    assert index.query("a", unit(1), 10, "order") == []
    assert index.query("nobody", unit(1), 10) == []
    with pytest.raises(ValueError, match="unknown doc_type"):
        index.query("a", unit(1), 10, "invoice")


def test_update_delete_and_type_change_by_id(tmp_path: Path) -> None:
    index = open_index(tmp_path)
    index.upsert("a", ["x", "y"], np.stack([unit(1), unit(0, 1)]), ["kb", "kb"])
    index.upsert("a", ["x"], np.stack([unit(0, 0, 1)]), ["kb"])  # update: the old vector is gone
    top = index.query("a", unit(0, 0, 1), 1)
    assert top[0][0] == "x" and top[0][1] == pytest.approx(1.0, abs=1e-5)
    assert dict(index.query("a", unit(1), 5))["x"] == pytest.approx(0.0, abs=1e-5)
    index.upsert("a", ["x"], np.stack([unit(0, 0, 1)]), ["order"])  # a type change leaves no copy behind
    assert [cid for cid, _ in index.query("a", unit(0, 0, 1), 5, "kb")] == ["y"]
    assert [cid for cid, _ in index.query("a", unit(0, 0, 1), 5, "order")] == ["x"]
    index.delete("a", ["x", "never-existed"])
    assert [cid for cid, _ in index.query("a", unit(0, 0, 1), 5)] == ["y"]
    index.upsert("a", ["x"], np.stack([unit(1)]), ["kb"])  # a deleted id can come back
    assert index.query("a", unit(1), 1)[0][0] == "x"
    assert index.count("a") == 2


def test_persists_across_reopen_and_ignores_half_written_files(tmp_path: Path) -> None:
    index = open_index(tmp_path)
    index.upsert("a", ["p", "q"], np.stack([unit(1), unit(0, 1)]), ["kb", "kb"])
    index.delete("a", ["q"])
    org_dir = tmp_path / "dense" / "m" / "a"
    (org_dir / ".kb.v9.hnsw.123.tmp").write_bytes(b"garbage from a crash")  # a crash mid-write leaves a temp file
    reopened = open_index(tmp_path)
    assert [cid for cid, _ in reopened.query("a", unit(1), 5)] == ["p"]
    manifest = json.loads((org_dir / "manifest.json").read_text())
    assert manifest["version"] == 2 and (org_dir / manifest["graphs"]["kb"]["graph"]).exists()
    assert len(list(org_dir.glob("kb.v*.hnsw"))) == 1  # superseded versions are removed


def test_many_updates_and_deletes_stay_exact(tmp_path: Path) -> None:
    """Tombstones past 25% trigger a rebuild; results must match exact search throughout."""
    rng = np.random.default_rng(3)
    index = open_index(tmp_path)
    vectors = rng.standard_normal((400, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = [f"c{i}" for i in range(400)]
    index.upsert("a", ids, vectors, ["kb"] * 400)
    index.delete("a", ids[:300])
    assert index.count("a") == 100
    query = vectors[350]
    expected = [ids[300 + i] for i in np.argsort(-(vectors[300:] @ query))[:5]]
    assert [cid for cid, _ in index.query("a", query, 5)] == expected


def _writer(root: str, start: int) -> None:
    index = LocalVectorIndex(Path(root), dim=DIM, model="m")
    for i in range(start, start + 10):
        index.upsert("a", [f"w{i}"], unit(1, i + 1)[None, :], ["kb"])


def test_two_processes_writing_lose_nothing(tmp_path: Path) -> None:
    """The API server and a CLI ingest run write the same organisation: the file lock serialises them."""
    reader = open_index(tmp_path)
    reader.upsert("a", ["seed"], unit(1)[None, :], ["kb"])
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_writer, args=(str(tmp_path), s)) for s in (0, 100)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    assert reader.count("a") == 21  # the reader reloads what the other processes wrote
    assert len(reader.query("a", unit(1), 50)) == 21
