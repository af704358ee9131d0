"""The agent's development splits as a gate: every case of evals/agent_dev.jsonl, evals/agent_dev2.jsonl (the
second batch, written in styles the first under-covers) and evals/agent_dev3.jsonl (the former "fresh" set and
cases for its failure classes), evals/agent_dev4.jsonl (the former held-out "fresh2" set) and evals/agent_dev5.jsonl
(cases for the failure classes of issue 10, written before the changes they led to) through the real service path
(offline model, tools, checkpointer, credits) on the seeded demo data in the Firestore emulator, as
`fluxori eval agent` runs it. Fails when agent accuracy drops below a floor a little under the measured figure
(BENCHMARKS.md). The frozen test split (evals/agent_test.jsonl) is not run here: it is scored, never tuned on."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from app.wiring import Services
from assistant.evaluation import dump_failures, evaluate, load_cases
from domain.demo import DEMO_ORGS
from domain.emulator import FirestoreEmulator
from tests.assistant.conftest import make_services

EVALS = Path(__file__).resolve().parents[2] / "evals"
# Floors a little under the measured figures (BENCHMARKS.md, agent section).
FLOORS = {
    "agent_dev.jsonl": 0.95,
    "agent_dev2.jsonl": 0.95,
    "agent_dev3.jsonl": 0.95,
    "agent_dev4.jsonl": 0.95,
    "agent_dev5.jsonl": 0.95,
}


@pytest.mark.timeout(900)
@pytest.mark.parametrize("split", sorted(FLOORS))
def test_dev_split_accuracy(
    split: str, emulator: FirestoreEmulator, tmp_path_factory: pytest.TempPathFactory, embedding_cache: Path
) -> None:
    from ingestion.pipeline import ingest_kb

    def fresh_services(with_kb: bool) -> Services:
        services = make_services(emulator, tmp_path_factory.mktemp("eval"), cache_dir=embedding_cache)
        if with_kb:
            with resources.as_file(resources.files("ingestion") / "demo_kb") as folder:
                for org in DEMO_ORGS:
                    ingest_kb(services, org.id, folder)
        return services

    report = evaluate(load_cases(EVALS / split), fresh_services)
    floor = FLOORS[split]
    assert report.accuracy >= floor, (
        f"{split}: agent accuracy {report.accuracy:.3f} < {floor}:\n{dump_failures(report)}"
    )
