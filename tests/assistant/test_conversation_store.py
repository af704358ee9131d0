"""Conversations listed, opened, renamed and deleted from the real Firestore checkpointer's data (emulator).
The conversations are written by a real LangGraph graph through `FirestoreSaver`; its one node echoes instead of
calling a model, because the model does not matter here."""

from __future__ import annotations

from datetime import timedelta

import pytest
from langchain_core.messages import AIMessage, HumanMessage
from langgraph.graph import START, MessagesState, StateGraph

from assistant.checkpointer import FirestoreSaver, thread_id_for
from assistant.conversations import Conversations
from domain.checkpoints import CheckpointRepository
from domain.errors import InvalidInput, NotFound
from domain.store import utcnow


def say(store, org: str, conversation: str, text: str) -> None:
    def echo(state: MessagesState) -> dict:
        return {"messages": [AIMessage(f"echo: {state['messages'][-1].content}")]}

    graph = StateGraph(MessagesState).add_node("echo", echo).add_edge(START, "echo")
    app = graph.compile(checkpointer=FirestoreSaver(CheckpointRepository(store)))
    app.invoke({"messages": [HumanMessage(text)]}, {"configurable": {"thread_id": thread_id_for(org, conversation)}})


@pytest.fixture
def conversations(store) -> Conversations:
    for org in ("acme", "other"):
        store.org(org).set({"name": org})
    return Conversations(store)


def test_list_newest_first_titled_by_the_first_question_and_scoped_to_the_org(store, conversations):
    long_question = "how many BV-TENT-0001 do we have in Cape Town and Durban, and what is on order from China"
    say(store, "acme", "c1", long_question)
    say(store, "acme", "c2", "what is running low?")
    say(store, "acme", "c1", "and in Johannesburg?")  # c1 is now the newest
    say(store, "other", "c3", "secret of another org")
    listed = conversations.list("acme")
    assert [c.id for c in listed] == ["c1", "c2"]
    assert listed[0].title.endswith("…") and len(listed[0].title) <= 61
    assert long_question.startswith(listed[0].title[:-1])  # cut between words, not inside one
    assert listed[1].title == "what is running low?"
    assert [c.id for c in conversations.list("other")] == ["c3"]
    with pytest.raises(NotFound):
        conversations.messages("other", "c1")  # another organisation's conversation does not exist for it


def test_open_a_conversation_with_its_messages_and_pending_change(store, conversations):
    say(store, "acme", "c1", "hello")
    say(store, "acme", "c1", "again")
    texts = [m.content for m in conversations.messages("acme", "c1")]
    assert texts == ["hello", "echo: hello", "again", "echo: again"]
    assert conversations.pending_confirmation("acme", "c1") is None
    now = utcnow()
    store.col("acme", "confirmations").document("p1").set(
        {"status": "pending", "summary": "Move 5", "expires_at": now + timedelta(minutes=5)}
    )
    store.col("acme", "conversations").document("c1").update({"pending_confirmation": "p1"})
    assert conversations.pending_confirmation("acme", "c1") == {"id": "p1", "summary": "Move 5"}
    store.col("acme", "confirmations").document("p1").update({"expires_at": now - timedelta(minutes=1)})
    assert conversations.pending_confirmation("acme", "c1") is None  # expired: nothing to offer


def test_rename_and_delete(store, conversations):
    say(store, "acme", "c1", "first question")
    assert conversations.rename("acme", "c1", "  Tent   stock ").title == "Tent stock"
    assert conversations.list("acme")[0].title == "Tent stock"
    for bad in ("", "x" * 121):
        with pytest.raises(InvalidInput):
            conversations.rename("acme", "c1", bad)
    with pytest.raises(NotFound):
        conversations.rename("other", "c1", "hijack")
    store.col("acme", "confirmations").document("p1").set({"status": "pending", "summary": "Move 5"})
    store.col("acme", "conversations").document("c1").update({"pending_confirmation": "p1"})
    conversations.delete("acme", "c1")
    assert conversations.list("acme") == []
    assert not list(store.col("acme", "conversations").document("c1").collection("checkpoints").stream())
    assert store.col("acme", "confirmations").document("p1").get().get("status") == "superseded"
    with pytest.raises(NotFound):
        conversations.delete("acme", "c1")
