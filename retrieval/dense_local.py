"""The embedded dense index: HNSW graphs (hnswlib) on disk under `data_dir/index/dense/{model}/{org}/`.

Why hnswlib: measured against usearch and faiss-cpu at 100k x 384 on 2 cores (benchmarks/retrieval_ann.py,
BENCHMARKS.md) it built fastest, answered single queries fastest at the same recall@10, and it deletes and updates
by id natively (faiss's HNSW cannot remove ids).

Scoping inside the query: one directory per organisation (another organisation's vectors are not in the graph that
is searched) and one graph per document type and audience in it (`kb` holds public articles, `kb.internal` the
internal ones), so `doc_type` and the caller's audiences pick the graphs; the graphs picked are searched and
merged by cosine score, which is comparable across them.

Ids: a chunk id maps to a 63-bit label (first 8 bytes of its sha256); the label -> chunk id table is saved beside
each graph. Updating an id re-adds its label (hnswlib overwrites the vector), deleting marks it deleted, and a graph
whose tombstones pass 25% of its elements is rebuilt from the live vectors.

Persistence: each save writes new versioned files (temp + atomic rename), then the manifest, which is the commit
point; a crash leaves the previous manifest and its files intact. All writes and reloads hold the organisation's
file lock; queries reload when the manifest's inode/mtime changes, so a server sees what a CLI run wrote.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hnswlib
import numpy as np

from retrieval.storage import atomic_write, atomic_write_json, file_signature, locked, read_json, safe_name

DOC_TYPES = ("kb", "product", "order")
AUDIENCES = ("public", "internal")
M = 16
EF_CONSTRUCTION = 128
EF_SEARCH = 64
COMPACT_RATIO = 0.25


def graph_key(doc_type: str, audience: str = "public") -> str:
    """`kb` for public articles (the name graphs had before audiences), `kb.internal` for internal ones."""
    return doc_type if audience == "public" else f"{doc_type}.{audience}"


def label_of(chunk_id: str) -> int:
    return int.from_bytes(hashlib.sha256(chunk_id.encode()).digest()[:8], "big") >> 1


@dataclass
class _Graph:
    index: hnswlib.Index
    ids: dict[int, str] = field(default_factory=dict)  # label -> chunk id, live and deleted
    deleted: set[int] = field(default_factory=set)

    @property
    def live(self) -> int:
        return len(self.ids) - len(self.deleted)

    def save(self, path: Path) -> None:
        self.index.save_index(str(path))


@dataclass
class _OrgState:
    directory: Path
    version: int = 0
    signature: tuple[int, int] | None = None
    graphs: dict[str, _Graph] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)

    @property
    def manifest(self) -> Path:
        return self.directory / "manifest.json"

    @property
    def lockfile(self) -> Path:
        return self.directory / ".lock"


class LocalVectorIndex:
    """`retrieval.types.VectorIndex` on local disk, safe for several threads and processes."""

    def __init__(self, root: Path, dim: int, model: str = "default", threads: int = 2) -> None:
        self.root = root / "dense" / safe_name(model)
        self.dim = dim
        self.threads = threads
        self._orgs: dict[str, _OrgState] = {}
        self._orgs_lock = threading.Lock()

    # -- state ---------------------------------------------------------------------------------------------------

    def _state(self, org_id: str) -> _OrgState:
        with self._orgs_lock:
            state = self._orgs.get(org_id)
            if state is None:
                state = self._orgs[org_id] = _OrgState(self.root / safe_name(org_id))
            return state

    def _new_graph(self, capacity: int) -> _Graph:
        index = hnswlib.Index(space="ip", dim=self.dim)
        index.init_index(max_elements=max(capacity, 1024), ef_construction=EF_CONSTRUCTION, M=M)
        index.set_ef(EF_SEARCH)
        index.set_num_threads(self.threads)
        return _Graph(index)

    def _refresh(self, state: _OrgState) -> None:
        """Load the organisation's graphs if the manifest on disk is not the one in memory (call with locks held)."""
        signature = file_signature(state.manifest)
        if signature == state.signature:
            return
        graphs: dict[str, _Graph] = {}
        version = 0
        if signature is not None:
            manifest = read_json(state.manifest)
            if manifest["dim"] != self.dim:
                raise ValueError(
                    f"the index at {state.directory} holds {manifest['dim']}-d vectors, not {self.dim}-d: "
                    "delete it and re-ingest"
                )
            version = manifest["version"]
            for doc_type, files in manifest["graphs"].items():
                index = hnswlib.Index(space="ip", dim=self.dim)
                index.load_index(str(state.directory / files["graph"]), max_elements=files["capacity"])
                index.set_ef(EF_SEARCH)
                index.set_num_threads(self.threads)
                table = read_json(state.directory / files["ids"])
                graphs[doc_type] = _Graph(
                    index, {int(k): v for k, v in table["ids"].items()}, {int(k) for k in table["deleted"]}
                )
        state.graphs, state.version, state.signature = graphs, version, signature

    def _save(self, state: _OrgState, dirty: set[str]) -> None:
        """Write the changed graphs as a new version, then the manifest (the commit point), then drop old files."""
        version = state.version + 1
        state.directory.mkdir(parents=True, exist_ok=True)
        previous = read_json(state.manifest)["graphs"] if state.manifest.exists() else {}
        entries: dict[str, dict[str, Any]] = {}
        for doc_type, graph in state.graphs.items():
            if doc_type not in dirty and doc_type in previous:
                entries[doc_type] = previous[doc_type]
                continue
            graph_file, ids_file = f"{doc_type}.v{version}.hnsw", f"{doc_type}.v{version}.ids.json"
            atomic_write(state.directory / graph_file, graph.save)
            table = {"ids": {str(k): v for k, v in graph.ids.items()}, "deleted": sorted(graph.deleted)}
            atomic_write_json(state.directory / ids_file, table)
            entries[doc_type] = {"graph": graph_file, "ids": ids_file, "capacity": graph.index.get_max_elements()}
        atomic_write_json(state.manifest, {"version": version, "dim": self.dim, "graphs": entries})
        state.version, state.signature = version, file_signature(state.manifest)
        keep = {name for entry in entries.values() for name in (entry["graph"], entry["ids"])}
        for path in state.directory.glob("*.v*.*"):
            if path.name not in keep:
                path.unlink(missing_ok=True)

    # -- writes --------------------------------------------------------------------------------------------------

    def upsert(
        self,
        org_id: str,
        ids: Sequence[str],
        vectors: np.ndarray,
        doc_types: Sequence[str],
        audiences: Sequence[str] | None = None,
    ) -> None:
        vectors = np.asarray(vectors, dtype=np.float32)
        if not len(ids):
            return
        audiences = list(audiences) if audiences is not None else ["public"] * len(ids)
        if vectors.shape != (len(ids), self.dim) or len(doc_types) != len(ids) or len(audiences) != len(ids):
            raise ValueError(f"upsert needs {len(ids)} vectors of dim {self.dim} and as many doc types and audiences")
        unknown = set(doc_types) - set(DOC_TYPES)
        if unknown:
            raise ValueError(f"unknown doc_type {sorted(unknown)}; expected one of {DOC_TYPES}")
        if set(audiences) - set(AUDIENCES):
            raise ValueError(f"unknown audience {sorted(set(audiences) - set(AUDIENCES))}; expected one of {AUDIENCES}")
        keys = [graph_key(t, a) for t, a in zip(doc_types, audiences, strict=True)]
        # The last occurrence of an id in one call wins, as with repeated calls.
        last = {chunk_id: i for i, chunk_id in enumerate(ids)}
        state = self._state(org_id)
        with state.lock, locked(state.lockfile):
            self._refresh(state)
            dirty: set[str] = set()
            self._remove(state, list(last), dirty, keep_keys={chunk_id: keys[i] for chunk_id, i in last.items()})
            for key in dict.fromkeys(keys):
                rows = [i for chunk_id, i in last.items() if keys[i] == key]
                if not rows:
                    continue
                graph = state.graphs.get(key) or self._new_graph(2 * len(rows))
                state.graphs[key] = graph
                labels = np.array([label_of(ids[i]) for i in rows], dtype=np.uint64)
                for label, i in zip(labels.tolist(), rows, strict=True):
                    known = graph.ids.get(label)
                    if known is not None and known != ids[i]:
                        raise RuntimeError(f"chunk ids {known!r} and {ids[i]!r} share a 63-bit label")
                new = sum(1 for label in labels.tolist() if label not in graph.ids)
                needed = len(graph.ids) + new
                if needed > graph.index.get_max_elements():
                    graph.index.resize_index(max(needed, 2 * graph.index.get_max_elements()))
                graph.index.add_items(vectors[rows], labels, num_threads=self.threads)
                for label, i in zip(labels.tolist(), rows, strict=True):
                    graph.ids[label] = ids[i]
                    graph.deleted.discard(label)
                dirty.add(key)
            self._compact(state, dirty)
            self._save(state, dirty)

    def _remove(
        self, state: _OrgState, ids: Sequence[str], dirty: set[str], keep_keys: dict[str, str] | None = None
    ) -> None:
        """Mark ids deleted in every graph (for an upsert, only in graphs other than the id's new one: a chunk
        whose audience or type changed leaves its old graph)."""
        for key, graph in state.graphs.items():
            for chunk_id in ids:
                if keep_keys is not None and keep_keys.get(chunk_id) == key:
                    continue
                label = label_of(chunk_id)
                if graph.ids.get(label) == chunk_id and label not in graph.deleted:
                    graph.index.mark_deleted(label)
                    graph.deleted.add(label)
                    dirty.add(key)

    def _compact(self, state: _OrgState, dirty: set[str]) -> None:
        for doc_type in list(dirty):
            graph = state.graphs[doc_type]
            if len(graph.deleted) <= COMPACT_RATIO * max(len(graph.ids), 1):
                continue
            live = [label for label in graph.ids if label not in graph.deleted]
            fresh = self._new_graph(2 * len(live))
            if live:
                fresh.index.add_items(graph.index.get_items(live), np.array(live, dtype=np.uint64))
            fresh.ids = {label: graph.ids[label] for label in live}
            state.graphs[doc_type] = fresh

    def delete(self, org_id: str, ids: Sequence[str]) -> None:
        if not ids:
            return
        state = self._state(org_id)
        with state.lock, locked(state.lockfile):
            self._refresh(state)
            dirty: set[str] = set()
            self._remove(state, ids, dirty)
            if dirty:
                self._compact(state, dirty)
                self._save(state, dirty)

    # -- reads ---------------------------------------------------------------------------------------------------

    def query(
        self,
        org_id: str,
        vector: np.ndarray,
        k: int,
        doc_type: str | None = None,
        audiences: Sequence[str] | None = None,
    ) -> list[tuple[str, float]]:
        if k <= 0:
            return []
        if doc_type is not None and doc_type not in DOC_TYPES:
            raise ValueError(f"unknown doc_type {doc_type!r}; expected one of {DOC_TYPES}")
        keys = [
            graph_key(t, a)
            for t in ([doc_type] if doc_type else DOC_TYPES)
            for a in (AUDIENCES if audiences is None else audiences)
            if a in AUDIENCES
        ]
        state = self._state(org_id)
        with state.lock:
            if file_signature(state.manifest) != state.signature:
                with locked(state.lockfile):
                    self._refresh(state)
            vector = np.asarray(vector, dtype=np.float32).reshape(1, -1)
            hits: list[tuple[str, float]] = []
            for key in keys:
                graph = state.graphs.get(key)
                if graph is not None and graph.live > 0:
                    hits.extend(self._search(graph, vector, min(k, graph.live)))
        hits.sort(key=lambda hit: -hit[1])
        return hits[:k]

    def _search(self, graph: _Graph, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        ef = max(EF_SEARCH, k)
        for _ in range(3):
            graph.index.set_ef(ef)
            try:
                labels, distances = graph.index.knn_query(vector, k=k, num_threads=1)
                break
            except RuntimeError:  # too many tombstones around the entry point for this ef: widen the beam
                ef *= 4
        else:  # exact fallback over the live vectors
            live = [label for label in graph.ids if label not in graph.deleted]
            matrix = np.asarray(graph.index.get_items(live), dtype=np.float32)
            scores = matrix @ vector[0]
            order = np.argsort(-scores)[:k]
            return [(graph.ids[live[i]], float(scores[i])) for i in order]
        return [(graph.ids[int(label)], 1.0 - float(d)) for label, d in zip(labels[0], distances[0], strict=True)]

    def count(self, org_id: str) -> int:
        state = self._state(org_id)
        with state.lock, locked(state.lockfile):
            self._refresh(state)
            return sum(graph.live for graph in state.graphs.values())
