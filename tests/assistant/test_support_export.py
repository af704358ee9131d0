"""The Questions report's CSV (safe against formula injection, parsed back with the csv module) and real
questions exported as eval cases: the agent JSONL loads with `fluxori eval agent`'s loader and fails until a
person writes its expectation; the kb JSONL is read by benchmarks/kb_eval.py, which scores a row only once a
person has reviewed it."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import shutil
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType

import pytest

from app.wiring import Services
from assistant.evaluation import load_cases, run_case
from assistant.support.eval_export import REVIEW, export_jsonl
from assistant.support.grouping import Article, QuestionGroup
from assistant.support.questions import AskedQuestion, select
from assistant.support.report_csv import HEADER, groups_csv
from domain.errors import InvalidInput
from retrieval.chunk_store import InMemoryChunkStore
from retrieval.dense_local import LocalVectorIndex
from retrieval.embeddings.local import LocalEmbedder
from retrieval.hybrid import HybridConfig, HybridSearchService
from tests.conftest import MINILM, ROOT

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
DANGEROUS = ["=1+1", "+27 82 555 0100", "-2+3", "@SUM(A1:A2)", "\tstarts with a tab", "\rstarts with a CR"]


def asked(text: str, n: int, **fields: object) -> AskedQuestion:
    values: dict[str, object] = {"message_id": f"msg-{n}", "question": text, "at": T0 + timedelta(hours=n)}
    return AskedQuestion.model_validate({"role": "merchant", "surface": "chat", **values, **fields})


def group(questions: list[str], titles: list[str]) -> QuestionGroup:
    return QuestionGroup(
        size=len(questions) + 1,
        examples=questions[:5],
        questions=questions,
        message_ids=[f"m{i}" for i in range(len(questions) + 1)],
        newest=T0,
        articles=[Article(title=t, doc_id=f"demo:{i}.md") for i, t in enumerate(titles)],
    )


def test_the_csv_has_one_row_per_question_and_parses_back() -> None:
    groups = [group(["How do I buy credits?", 'Pay with "PayFast", or EFT?'], ["Buying credits", "Prices"])]
    groups.append(group(["multi\nline question"], []))
    rows = list(csv.reader(io.StringIO(groups_csv(groups), newline="")))
    assert rows == [
        list(HEADER),
        ["1", "3", "How do I buy credits?", "Buying credits; Prices"],
        ["1", "3", 'Pay with "PayFast", or EFT?', "Buying credits; Prices"],
        ["2", "2", "multi\nline question", ""],
    ]


@pytest.mark.parametrize("text", DANGEROUS)
def test_cells_a_spreadsheet_would_run_are_defused(text: str) -> None:
    csv_text = groups_csv([group([text], [text, "Safe title"])])
    [_, row] = list(csv.reader(io.StringIO(csv_text, newline="")))
    assert row[2] == "'" + text and row[3] == f"'{text}; Safe title"


def test_the_selections_pick_their_kind_then_period_then_role() -> None:
    questions = [
        asked("not found", 0, not_found=True),
        asked("rated down", 1, rating="down", reasons=["wrong_figure"]),
        asked("rated up", 2, rating="up"),
        asked("support, not found", 3, not_found=True, role="support"),
    ]

    def texts(chosen: list[AskedQuestion]) -> list[str]:
        return [q.question for q in chosen]

    assert texts(select(questions, "unanswered")) == ["not found", "support, not found"]
    assert texts(select(questions, "thumbs_down")) == ["rated down"]
    assert texts(select(questions, "top")) == [q.question for q in questions]
    assert texts(select(questions, "unanswered", since=T0 + timedelta(hours=1))) == ["support, not found"]
    assert texts(select(questions, "unanswered", role="merchant")) == ["not found"]
    with pytest.raises(InvalidInput, match="thumbs_down"):
        select(questions, "thumbs-down")  # type: ignore[arg-type]


def exported() -> list[AskedQuestion]:
    return [
        asked("How do I connect my Takealot seller account?", 0, not_found=False, rating="down"),
        asked("Does it integrate with eBay?", 1, not_found=True, answer="Not found in the help centre."),
        asked("does it integrate with  EBAY?", 2, not_found=True, role="support", surface="kb"),
    ]


def test_agent_cases_load_with_the_eval_loader_and_give_the_questions_back(tmp_path: Path) -> None:
    path = tmp_path / "real.jsonl"
    path.write_text(export_jsonl(exported(), "agent", org="bergveld"))
    cases = load_cases(path)
    assert [c.turns for c in cases] == [
        ["does it integrate with  EBAY?"],
        ["How do I connect my Takealot seller account?"],
    ]
    assert [(c.id, c.org, c.role.value) for c in cases] == [
        ("real-msg-2", "bergveld", "support"),
        ("real-msg-0", "bergveld", "merchant"),
    ]
    assert all(c.expect.answer_contains == [REVIEW] for c in cases)
    raw = [json.loads(line) for line in path.read_text().splitlines()]
    assert all(r["needs_review"] is True for r in raw)
    assert raw[0]["source"]["message_id"] == "msg-2" and raw[0]["source"]["not_found"] is True


def test_an_unreviewed_agent_case_fails_until_a_person_writes_its_expectation(
    services: Services, tmp_path: Path
) -> None:
    path = tmp_path / "real.jsonl"
    path.write_text(export_jsonl(exported()[:1], "agent", org="bergveld"))
    [case] = load_cases(path)
    result = run_case(case, services)
    assert not result.passed and any("NEEDS REVIEW" in p for p in result.problems)


def test_bad_export_arguments_say_what_to_fix() -> None:
    with pytest.raises(InvalidInput, match="agent, kb"):
        export_jsonl(exported(), "csv", org="bergveld")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="organisation"):
        export_jsonl(exported(), "agent", org=" ")
    assert export_jsonl([], "kb", org="") == ""


def kb_eval() -> ModuleType:
    spec = importlib.util.spec_from_file_location("kb_eval", ROOT / "benchmarks" / "kb_eval.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["kb_eval"] = module  # its dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def test_kb_rows_are_read_by_kb_eval_and_scored_only_once_reviewed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bench = kb_eval()
    lines = export_jsonl(exported(), "kb", org="").splitlines()
    rows = [json.loads(line) for line in lines]
    assert [(r["split"], r["query"], r["doc"], r["needs_review"]) for r in rows] == [
        ("review", "does it integrate with  EBAY?", None, True),
        ("review", "How do I connect my Takealot seller account?", None, True),
    ]
    reviewed = {**rows[1], "split": "dev", "doc": "demo:channels/connect-takealot.md"}
    del reviewed["needs_review"]
    queries = tmp_path / "real_dev.jsonl"
    queries.write_text("\n".join([*lines, json.dumps(reviewed)]) + "\n")
    folder = tmp_path / "kb" / "channels"
    folder.mkdir(parents=True)
    shutil.copy(ROOT / "ingestion" / "demo_kb" / "channels" / "connect-takealot.md", folder)
    embedder = LocalEmbedder(MINILM)
    service = HybridSearchService(
        InMemoryChunkStore(), embedder, LocalVectorIndex(tmp_path / "index", embedder.dim), HybridConfig()
    )
    bench.index_folder(service, "demo", tmp_path / "kb")
    monkeypatch.setattr(bench, "CORPORA", {"demo": (tmp_path / "kb", queries)})
    outcomes = bench.run(service, ("dev", "test"))
    assert [(o.query, o.expected) for o in outcomes] == [(reviewed["query"], reviewed["doc"])]
    assert outcomes[0].ranked[0] == "demo:channels/connect-takealot.md"
