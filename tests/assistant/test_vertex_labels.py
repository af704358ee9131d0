"""Every Vertex AI call carries the organisation as its `org_id` label, so Google's billing export joins ours
(terraform/: the billing view). The product's Gemini client talks to a local FAKE of Gemini's HTTP API
(benchmarks/fake_gemini.py), which records what each request carried. tests/api/test_capacity.py checks the
same on whole turns, JSON and streamed."""

from __future__ import annotations

import uuid

from langchain_core.messages import HumanMessage

from assistant.contracts import ORG_LABEL
from assistant.settings import Settings
from assistant.turn import Turn
from benchmarks.fake_gemini import FakeGemini, chat_model_for
from domain.orgs import Principal, Role


def test_the_org_of_the_run_becomes_a_valid_label_of_the_gemini_call() -> None:
    fake = FakeGemini(latency=0.0)
    with fake as url:
        model = chat_model_for(url, Settings())
        model.invoke([HumanMessage("hello")], config={"metadata": {ORG_LABEL: "Bergveld Outdoor!"}})
        model.invoke([HumanMessage("hello")])  # no organisation (e.g. a probe): no label
    assert fake.labels == [{"org_id": "bergveld_outdoor_"}, None]


def test_a_turn_runs_with_its_organisation_in_the_metadata() -> None:
    principal = Principal(org_id="bergveld", role=Role.merchant, key_id="k1", label="")
    turn = Turn.__new__(Turn)
    turn.principal = principal
    turn.conversation_id = uuid.uuid4().hex
    turn.new_conversation = True
    turn.usage = object()  # type: ignore[assignment]
    assert turn.config["metadata"] == {ORG_LABEL: "bergveld"}
