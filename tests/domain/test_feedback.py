"""The answer log and feedback repositories on the Firestore emulator: one record per answer, one rating per answer
and key (rating again replaces it), expiry from the retention settings, newest-first reads, organisations apart,
and a conversation's records deleted with it."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from domain.answer_log import AnswerLogRepository, AnswerRecord, CitedSource
from domain.errors import InvalidInput, NotFound
from domain.feedback import Feedback, FeedbackRepository, Rating, Reason
from domain.store import utcnow

ORG, OTHER = "acme-outdoor", "other-org"
T0 = datetime(2025, 3, 1, 8, 15, tzinfo=UTC)
JUDGE = {"score": -2.5, "features": {"cosine": 0.41, "coverage": 0.25, "keyword": 0.1, "agreement": 0.0}}


def answer(message_id: str, conversation_id: str = "conv-1", minutes: float = 0, **fields: object) -> AnswerRecord:
    values: dict[str, object] = {
        "message_id": message_id,
        "conversation_id": conversation_id,
        "question": "how do I file my payroll taxes?",
        "answer": "I could not find an answer to that in the knowledge base, so I won't guess.",
        "citations": [CitedSource(source="demo:credits/tax.md", title="Tax invoices", doc_id="demo:credits/tax.md")],
        "tools": ["search_knowledge_base"],
        "model": "fluxori-offline-1",
        "surface": "kb",
        "role": "support",
        "key_id": "k" * 64,
        "not_found": True,
        "judge": JUDGE,
        "at": T0 + timedelta(minutes=minutes),
    }
    return AnswerRecord.model_validate(values | fields)


def stored_feedback(store, org: str = ORG) -> list[dict]:
    return [snap.to_dict() for snap in store.col(org, "feedback").stream()]


# -- the answer log -------------------------------------------------------------------------------------------
def test_an_answer_is_stored_whole_under_its_message_id_with_its_expiry(store):
    log = AnswerLogRepository(store, retention_days=180)
    stored = log.record(ORG, answer("m1"))
    assert stored.expires_at == T0 + timedelta(days=180)
    data = store.col(ORG, "answer_log").document("m1").get().to_dict()
    assert data["expires_at"] == T0 + timedelta(days=180)  # a Firestore timestamp: what the TTL policy reads
    assert data["judge"] == JUDGE and data["not_found"] is True and data["surface"] == "kb"
    assert log.get(ORG, "m1") == stored
    with pytest.raises(NotFound, match="no answer with message id 'm1' in this organisation"):
        log.get(OTHER, "m1")  # another organisation's answer is not there for it
    with pytest.raises(NotFound):
        log.get(ORG, "m2")
    with pytest.raises(InvalidInput, match="is not a message id"):
        log.get(ORG, "a/b")


def test_since_reads_newest_first_from_a_time_on(store):
    log = AnswerLogRepository(store, retention_days=30)
    for i in range(5):
        log.record(ORG, answer(f"m{i}", minutes=i))
    log.record(OTHER, answer("theirs", minutes=10))
    assert [r.message_id for r in log.since(ORG, T0 + timedelta(minutes=2))] == ["m4", "m3", "m2"]
    assert [r.message_id for r in log.since(ORG, T0, limit=2)] == ["m4", "m3"]
    with pytest.raises(InvalidInput):
        log.since(ORG, T0, limit=0)


def test_retention_must_be_a_day_at_least(store):
    with pytest.raises(InvalidInput):
        AnswerLogRepository(store, retention_days=0)
    with pytest.raises(InvalidInput):
        FeedbackRepository(store, retention_days=0)


# -- feedback -------------------------------------------------------------------------------------------------
def test_one_rating_per_key_and_answer_that_a_second_rating_replaces(store):
    feedback = FeedbackRepository(store, retention_days=365)
    rated = answer("m1")
    first = feedback.rate(ORG, rated, key_id="key-a", role="support", rating="up", comment="spot on")
    time.sleep(0.01)
    second = feedback.rate(
        ORG, rated, key_id="key-a", role="support", rating="down", reasons=["outdated", "other", "outdated"]
    )
    assert second.rating == Rating.down and second.reasons == [Reason.outdated, Reason.other]  # each reason once
    assert second.comment == ""  # the second rating replaces the first whole
    assert second.created_at == first.created_at and second.updated_at > first.updated_at
    (only,) = stored_feedback(store)
    assert only["rating"] == "down" and only["key_id"] == "key-a"
    assert store.col(ORG, "feedback").document("m1--key-a").get().exists
    assert feedback.get(ORG, "m1", "key-a") == second

    other_key = feedback.rate(ORG, rated, key_id="key-b", role="merchant", rating="up")
    assert len(stored_feedback(store)) == 2 and other_key.rating == Rating.up
    assert feedback.get(ORG, "m1", "key-a").rating == Rating.down  # each key has its own
    assert feedback.get(OTHER, "m1", "key-a") is None


def test_feedback_keeps_a_copy_of_the_answer_and_expires_after_its_retention(store):
    feedback = FeedbackRepository(store, retention_days=365)
    before = utcnow()
    record = feedback.rate(ORG, answer("m1"), key_id="key-a", role="support", rating="down", reasons=["did_not_answer"])
    after = utcnow()
    data = stored_feedback(store)[0]
    assert before + timedelta(days=365) <= data["expires_at"] <= after + timedelta(days=365)
    assert record.expires_at == record.updated_at + timedelta(days=365)
    rated = answer("m1")
    for name in ("question", "answer", "tools", "model", "not_found", "judge", "conversation_id", "surface"):
        assert data[name] == getattr(rated, name), name
    assert data["citations"] == [c.model_dump() for c in rated.citations]
    assert Feedback.model_validate(data) == record


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"rating": "meh"}, "rate an answer up or down"),
        ({"reasons": ["other"] * 11}, "at most 10 reasons"),
        ({"reasons": ["too_long"]}, "unknown reasons"),
        ({"comment": "x" * 2001}, "at most 2000 characters"),
        ({"key_id": "a/b"}, "is not a key id"),
    ],
)
def test_what_a_rating_refuses_writes_nothing(store, fields, problem):
    feedback = FeedbackRepository(store, retention_days=365)
    values: dict = {"key_id": "key-a", "role": "support", "rating": "up"} | fields
    with pytest.raises(InvalidInput, match=problem):
        feedback.rate(ORG, answer("m1"), **values)
    assert stored_feedback(store) == []


def test_a_conversations_records_and_feedback_are_deleted_with_it(store):
    log, feedback = AnswerLogRepository(store, 30), FeedbackRepository(store, 30)
    mine = [log.record(ORG, answer(f"m{i}", "conv-1", minutes=i)) for i in range(3)]
    kept = log.record(ORG, answer("other", "conv-2"))
    theirs = log.record(OTHER, answer("same-id", "conv-1"))  # the same conversation id in another organisation
    for record in mine:
        feedback.rate(ORG, record, key_id="key-a", role="support", rating="down")
        feedback.rate(ORG, record, key_id="key-b", role="merchant", rating="up")
    feedback.rate(ORG, kept, key_id="key-a", role="support", rating="up")
    feedback.rate(OTHER, theirs, key_id="key-a", role="support", rating="up")

    assert feedback.delete_conversation(ORG, "conv-1") == 6
    assert log.delete_conversation(ORG, "conv-1") == 3
    assert [f["message_id"] for f in stored_feedback(store)] == ["other"]
    assert [r.message_id for r in log.since(ORG, T0 - timedelta(days=1))] == ["other"]
    assert log.get(OTHER, "same-id") == theirs and len(stored_feedback(store, OTHER)) == 1
    assert feedback.delete_conversation(ORG, "conv-1") == 0  # nothing left: deleting again is harmless
