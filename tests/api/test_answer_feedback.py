"""Runs first of tests/api (its name): later modules of the shared services delete help-centre documents that its
knowledge-base questions need (seen: run after them, the help centre answers nothing).

Answers' message ids and POST /v1/feedback through the real app: the offline model, the real chat service, the
demo help centre indexed with MiniLM, the Firestore emulator.

Every answer carries a `message_id` (JSON and the SSE `final` event, the same on a retried request) and leaves
its record in the answer log; a key rates an answer once and may change its rating; what is not the caller's
organisation's, or not of the conversation named, is 404; bad ratings are 422; the stored feedback holds the
answer with its tools, model and the "not found" decision's judge scores; feedback goes with its conversation.
"""

from __future__ import annotations

import re
import uuid
from importlib import resources
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.wiring import Services
from assistant.application import conversations_view
from assistant.kb_answers import FEATURES
from domain.errors import NotFound
from domain.orgs import Principal, Role
from ingestion.pipeline import ingest_kb
from tests.api.conftest import LogCapture, Stub, auth, make_org, sse_events

STREAM = {"Accept": "text/event-stream"}
MESSAGE_ID = re.compile(r"^[0-9a-f]{32}$")
UNANSWERABLE = "how do I file my payroll taxes?"  # nothing in the demo help centre is about payroll
ANSWERABLE = "how do I connect my Takealot store?"  # channels/connect-takealot.md


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def principal_of(services: Services, key: str) -> Principal:
    found = services.api_keys.authenticate(key)
    assert found is not None
    return found


@pytest.fixture(scope="module")
def helpdesk(services: Services) -> tuple[str, str]:
    """An organisation of its own with the demo help centre indexed, and a support key: (org id, key)."""
    org, key = make_org(services, balance=200, role=Role.support)
    with resources.as_file(resources.files("ingestion") / "demo_kb") as folder:
        report = ingest_kb(services, org, folder, namespace="demo")
    assert report.failed == 0 and report.added > 40
    return org, key


def ask(client: TestClient, headers: dict[str, str], message: str, **body: Any) -> dict[str, Any]:
    r = client.post("/v1/chat", json={"message": message, **body}, headers=headers)
    assert r.status_code == 200, r.text
    reply: dict[str, Any] = r.json()
    return reply


def rate(client: TestClient, headers: dict[str, str], reply: dict[str, Any], **body: Any) -> Any:
    ids = {"conversation_id": reply["conversation_id"], "message_id": reply["message_id"]}
    return client.post("/v1/feedback", json={**ids, "rating": "up", **body}, headers=headers)


# -- message ids --------------------------------------------------------------------------------------------
def test_every_answer_has_its_own_message_id_the_same_on_a_retry(client: TestClient, services: Services) -> None:
    org, key = make_org(services, balance=50)
    headers = {**bearer(key), "X-Request-ID": f"feedback-{uuid.uuid4().hex}"}
    first = client.post("/v1/chat", json={"message": "what can you do?"}, headers=headers)
    again = client.post("/v1/chat", json={"message": "what can you do?"}, headers=headers)
    assert first.status_code == again.status_code == 200, first.text
    assert MESSAGE_ID.match(first.json()["message_id"])
    assert again.json()["message_id"] == first.json()["message_id"]  # answered from the stored response
    assert services.answer_log.get(org, first.json()["message_id"]).question == "what can you do?"

    streamed = client.post(
        "/v1/chat",
        json={"message": "what can you do?", "conversation_id": first.json()["conversation_id"]},
        headers={**bearer(key), **STREAM, "X-Request-ID": f"feedback-{uuid.uuid4().hex}"},
    )
    assert streamed.status_code == 200, streamed.text
    name, final = sse_events(streamed.text)[-1]
    assert name == "final" and MESSAGE_ID.match(final["message_id"])
    assert final["message_id"] != first.json()["message_id"]  # a new turn, a new answer
    retried = client.post(
        "/v1/chat",
        json={"message": "what can you do?", "conversation_id": first.json()["conversation_id"]},
        headers={**bearer(key), **STREAM, "X-Request-ID": streamed.headers["x-request-id"]},
    )
    assert sse_events(retried.text)[-1] == ("final", final)
    record = services.answer_log.get(org, final["message_id"])
    assert record.conversation_id == first.json()["conversation_id"] and record.surface == "chat"
    assert record.role == "merchant" and record.model == "fluxori-offline-1"


def test_the_answer_to_a_decision_has_its_own_id_and_names_the_proposal(client: TestClient, services: Services) -> None:
    proposal = ask(client, auth(), "transfer 1 unit of BV-TENT-0005 from CPT to DBN")
    pending = proposal["pending_confirmation"]
    assert pending, proposal
    decided = client.post("/v1/chat/confirm", json={"confirmation_id": pending["id"], "approve": False}, headers=auth())
    assert decided.status_code == 200, decided.text
    reply = decided.json()
    assert MESSAGE_ID.match(reply["message_id"]) and reply["message_id"] != proposal["message_id"]
    record = services.answer_log.get("bergveld", reply["message_id"])
    assert record.question == pending["summary"] and record.conversation_id == proposal["conversation_id"]
    asked = services.answer_log.get("bergveld", proposal["message_id"])
    assert asked.question == "transfer 1 unit of BV-TENT-0005 from CPT to DBN"
    assert asked.answer == proposal["answer"] and asked.tools == []  # proposed, not run


# -- rating ---------------------------------------------------------------------------------------------------
def test_a_key_rates_an_answer_once_and_may_change_its_rating(client: TestClient, services: Services) -> None:
    org, key = make_org(services, balance=50)
    reply = ask(client, bearer(key), "what can you do?")
    up = rate(client, bearer(key), reply, comment="clear")
    assert up.status_code == 200, up.text
    body = up.json()
    assert body["rating"] == "up" and body["comment"] == "clear" and body["message_id"] == reply["message_id"]
    assert body["question"] == "what can you do?" and body["answer"] == reply["answer"]
    assert body["role"] == "merchant" and body["created_at"] == body["updated_at"]

    down = rate(client, bearer(key), reply, rating="down", reasons=["did_not_answer", "other"], comment="vague")
    assert down.status_code == 200, down.text
    changed = down.json()
    assert changed["rating"] == "down" and changed["reasons"] == ["did_not_answer", "other"]
    assert changed["created_at"] == body["created_at"] and changed["updated_at"] > body["updated_at"]
    stored = [snap.to_dict() for snap in services.store.col(org, "feedback").stream()]
    assert len(stored) == 1 and stored[0]["rating"] == "down" and stored[0]["comment"] == "vague"


def test_another_organisations_answer_an_unknown_one_and_another_conversation_are_404(
    client: TestClient, services: Services
) -> None:
    org, key = make_org(services, balance=50)
    other_org, other_key = make_org(services, balance=50)
    mine = ask(client, bearer(key), "what can you do?")
    theirs = ask(client, bearer(other_key), "what can you do?")

    cross = rate(client, bearer(other_key), mine)
    assert cross.status_code == 404 and cross.json()["error"]["code"] == "not_found", cross.text
    unknown = rate(client, bearer(key), {**mine, "message_id": uuid.uuid4().hex})
    assert unknown.status_code == 404 and "no answer with message id" in unknown.json()["error"]["message"]
    elsewhere = rate(client, bearer(key), {**mine, "conversation_id": theirs["conversation_id"]})
    assert elsewhere.status_code == 404 and theirs["conversation_id"] in elsewhere.json()["error"]["message"]
    for organisation in (org, other_org):
        assert list(services.store.col(organisation, "feedback").stream()) == []  # nothing was stored
    assert rate(client, bearer(other_key), theirs).status_code == 200  # their own answer they may rate


@pytest.mark.parametrize(
    ("body", "field", "problem"),
    [
        ({"rating": "meh"}, "rating", "'up' or 'down'"),
        ({"rating": None}, "rating", "'up' or 'down'"),
        ({"reasons": ["other"] * 11}, "reasons", "at most 10 items"),
        ({"reasons": ["too_long"]}, "reasons.0", "'wrong_figure', 'wrong_product', 'did_not_answer', 'outdated'"),
        ({"comment": "x" * 2001}, "comment", "at most 2000 characters"),
        ({"message_id": "a/b"}, "message_id", "should match pattern"),
        ({"conversation_id": ""}, "conversation_id", "should match pattern"),
    ],
)
def test_bad_ratings_are_422_saying_what_to_fix(
    client: TestClient, services: Services, body: dict[str, Any], field: str, problem: str
) -> None:
    valid = {"conversation_id": "c" * 32, "message_id": "m" * 32, "rating": "down", "reasons": [], "comment": ""}
    r = client.post("/v1/feedback", json={**valid, **body}, headers=auth("bergveld", "merchant"))
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "validation_error"
    assert [d["field"] for d in error["details"]] == [field]
    assert problem in error["details"][0]["problem"] and problem in error["message"]


def test_admins_do_not_chat_so_they_do_not_rate(client: TestClient) -> None:
    body = {"conversation_id": "c" * 32, "message_id": "m" * 32, "rating": "up"}
    r = client.post("/v1/feedback", json=body, headers=auth("bergveld", "admin"))
    assert r.status_code == 403 and "feedback" in r.json()["error"]["message"]


# -- what is kept -------------------------------------------------------------------------------------------
def test_an_unanswered_help_centre_question_is_kept_with_its_judge_scores(
    client: TestClient, services: Services, helpdesk: tuple[str, str]
) -> None:
    org, key = helpdesk
    reply = ask(client, bearer(key), UNANSWERABLE)
    assert reply["citations"] == [] and "could not find" in reply["answer"]
    r = rate(client, bearer(key), reply, rating="down", reasons=["did_not_answer"])
    assert r.status_code == 200, r.text
    kept = r.json()
    assert kept["question"] == UNANSWERABLE and kept["answer"] == reply["answer"]
    assert kept["tools"] == ["search_knowledge_base"] and kept["model"] == "fluxori-offline-1"
    assert kept["surface"] == "kb" and kept["role"] == "support" and kept["not_found"] is True
    judge = kept["judge"]
    assert set(judge["features"]) == set(FEATURES) and judge["score"] < 0  # below the answer threshold
    (search,) = [a for a in reply["actions"] if a["tool"] == "search_knowledge_base"]
    assert search["result"]["found"] is False and search["result"]["judge"] == judge  # the KB tool's own verdict
    assert services.answer_log.get(org, reply["message_id"]).judge == judge


def test_an_answered_help_centre_question_is_kept_with_its_citations_and_scores(
    client: TestClient, helpdesk: tuple[str, str]
) -> None:
    _, key = helpdesk
    reply = ask(client, bearer(key), ANSWERABLE)
    assert reply["citations"], reply
    kept = rate(client, bearer(key), reply).json()
    assert kept["not_found"] is False and kept["judge"]["score"] >= 0
    assert set(kept["judge"]["features"]) == set(FEATURES)
    assert kept["citations"] == [
        {"source": c["source"], "title": c["title"], "doc_id": c["doc_id"]} for c in reply["citations"]
    ]
    assert any("takealot" in c["doc_id"] for c in kept["citations"])


def test_deleting_the_conversation_deletes_its_answers_and_their_feedback(
    client: TestClient, services: Services
) -> None:
    org, key = make_org(services, balance=50)
    reply = ask(client, bearer(key), "what can you do?")
    follow_up = ask(client, bearer(key), "and what can't you do?", conversation_id=reply["conversation_id"])
    kept = ask(client, bearer(key), "what can you do?")  # another conversation: it stays
    for answer in (reply, follow_up, kept):
        assert rate(client, bearer(key), answer).status_code == 200

    conversations_view.delete_conversation(services, principal_of(services, key), reply["conversation_id"])
    left = [snap.to_dict()["message_id"] for snap in services.store.col(org, "feedback").stream()]
    assert left == [kept["message_id"]]
    for gone in (reply, follow_up):
        with pytest.raises(NotFound):
            services.answer_log.get(org, gone["message_id"])
    assert services.answer_log.get(org, kept["message_id"]).conversation_id == kept["conversation_id"]
    assert rate(client, bearer(key), reply).status_code == 404  # a deleted conversation's answer is gone


def test_an_answer_record_that_cannot_be_written_is_logged_and_the_answer_still_given(
    client: TestClient, services: Services, stub: Stub, json_logs: LogCapture
) -> None:
    class Unwritable:  # the database refusing this one write: the answer was given and charged already
        def record(self, org_id: str, record: object) -> object:
            raise RuntimeError("answer log unavailable")

    _, key = make_org(services, balance=50)
    stub("answer_log", Unwritable())
    r = client.post("/v1/chat", json={"message": "what can you do?"}, headers=bearer(key))
    assert r.status_code == 200 and r.json()["usage"]["credits_charged"] > 0, r.text
    (line,) = [line for line in json_logs.lines if line["message"] == "recording the answer failed"]
    assert line["level"] == "ERROR" and line["message_id"] == r.json()["message_id"]
