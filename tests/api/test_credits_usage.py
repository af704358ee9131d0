"""GET /v1/credits/usage: one row per question with what it cost, after real chat turns (offline model, emulator),
and the credits of every one of the last 30 days; the same rows the UI's Credits & usage tab shows."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi.testclient import TestClient

from app.wiring import Services
from domain.credits import SAST
from domain.orgs import Role
from domain.store import utcnow
from tests.api.conftest import make_org


def test_each_question_is_one_row_with_its_cost_and_every_day_is_in_the_series(
    client: TestClient, services: Services
) -> None:
    _, key = make_org(services, balance=20)
    headers = {"Authorization": f"Bearer {key}"}
    answers = []
    for question in ("what is running low?", "what were the sales of the last 30 days?"):
        r = client.post("/v1/chat", json={"message": question}, headers=headers)
        assert r.status_code == 200, r.text
        answers.append(r.json())

    r = client.get("/v1/credits/usage", headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    questions = [row for row in body["rows"] if row["kind"] == "question"]
    assert len(questions) == 2  # one row each: no reserve / settle pairs
    for row, answer in zip(questions, reversed(answers), strict=True):  # newest first
        assert row["cost"] == answer["usage"]["credits_charged"] > 0
        assert row["balance_after"] == answer["credits_balance"]
        assert row["input_tokens"] == answer["usage"]["input_tokens"] > 0
        assert row["output_tokens"] == answer["usage"]["output_tokens"]
        assert row["model"] == services.settings.llm_model
    [grant] = [row for row in body["rows"] if row["kind"] == "grant"]
    assert grant["added"] == 20 and grant["cost"] == 0

    days = body["days"]
    today = utcnow().astimezone(SAST).date()
    assert [date.fromisoformat(d["day"]) for d in days] == [today - timedelta(days=29 - i) for i in range(30)]
    assert days[-1]["credits"] == round(sum(a["usage"]["credits_charged"] for a in answers), 3)
    assert all(d["credits"] == 0 for d in days[:-1])  # the empty days are there, with 0

    week = client.get("/v1/credits/usage", params={"days": 7}, headers=headers).json()
    assert len(week["days"]) == 7 and week["rows"] == body["rows"]


def test_usage_is_for_roles_with_credits_and_checks_its_input(client: TestClient, services: Services) -> None:
    _, support = make_org(services, role=Role.support)
    r = client.get("/v1/credits/usage", headers={"Authorization": f"Bearer {support}"})
    assert r.status_code == 403  # support staff have no credits
    _, admin = make_org(services, role=Role.admin)
    admin_headers = {"Authorization": f"Bearer {admin}"}
    assert client.get("/v1/credits/usage", headers=admin_headers).status_code == 200
    for days in (0, 91):
        r = client.get("/v1/credits/usage", params={"days": days}, headers=admin_headers)
        assert r.status_code == 422 and r.json()["error"]["code"] == "validation_error"
