"""Where the first knowledge-base search of a fresh server spends its time, and what warming at sign-in saves.

Run against an emulator holding a seeded project whose help centre is indexed under DATA_DIR (e.g. after
`make run` has indexed the demo: `--emulator 127.0.0.1:8085 --project fluxori-local --data-dir .fluxori`):

    python benchmarks/kb_first_search.py --emulator HOST:PORT --project PROJECT --data-dir DIR [--org bergveld]

Prints, in one fresh process: building the search service (imports, index files), loading the embedding model
(first query embedding), loading the organisation's passages and keyword index (first search after that), and a
warm search; then the first search as a user met it before (all of that on the click) and after (the UI starts
`ui.kb_tab.warm_search` at sign-in, so the click pays a warm search only).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path


def timed(label: str, fn, results: dict[str, float]):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    value = fn()
    results[label] = time.perf_counter() - start
    print(f"{label:<44} {results[label]:7.2f} s", flush=True)
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emulator", required=True)
    parser.add_argument("--project", required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--org", default="bergveld")
    args = parser.parse_args()
    results: dict[str, float] = {}
    from app.wiring import Services
    from assistant.settings import Settings
    from domain.store import Store, make_client

    store = Store.connect(make_client(args.project, emulator_host=args.emulator))
    services = Services(Settings(_env_file=None, mode="local", project=args.project, data_dir=args.data_dir), store)
    searcher = timed("build the search service (imports, index)", lambda: services.searcher, results)
    timed("load the embedding model (first embedding)", searcher.warm, results)
    timed("first search of the org (passages, BM25)", lambda: searcher.search(args.org, "stock transfers"), results)
    timed("a warm search", lambda: searcher.search(args.org, "Takealot returns", k=5, doc_type="kb"), results)
    cold = sum(results[label] for label in list(results)[:3])
    print(f"{'first search, nothing warmed (before)':<44} {cold:7.2f} s")
    print(f"{'first search after warming at sign-in':<44} {results['a warm search']:7.2f} s")


if __name__ == "__main__":
    main()
