"""The audit log end to end: every audited action through its real path (the API, the UI's session functions, the
`fluxori` CLI as a process, PayFast's notification) leaves its record and its JSON log line; `GET /v1/audit` pages
them for admins of the organisation only."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import gradio as gr
import pytest
from fastapi.testclient import TestClient

from app.wiring import Services
from assistant.application import audit as app_audit
from assistant.application import credits as app_credits
from assistant.application.policy import Capability
from assistant.billing import payfast
from assistant.billing.checkout import new_purchase
from assistant.billing.notifications import receive
from assistant.billing.packs import pack
from assistant.settings import Settings
from domain.audit import AuditAction, AuditEntry
from domain.emulator import FirestoreEmulator
from domain.orgs import Role, hash_key
from domain.store import Store, make_client
from tests.api.conftest import KEYS, LogCapture, Stub, auth, make_org
from tests.api.test_documents import upload
from tests.test_cli import clean_env, run
from ui.admin_tab import AUDIT_COLUMNS, AdminTab
from ui.session import Refusal, require, signed_in, start_session


def admin_of(services: Services) -> tuple[str, str, dict[str, str]]:
    org, key = make_org(services, role=Role.admin)
    return org, key, {"Authorization": f"Bearer {key}"}


def rid() -> str:
    return f"audit-{uuid.uuid4().hex}"


def entries(client: TestClient, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    """Every entry the caller may read (all pages)."""
    found: list[dict[str, Any]] = []
    query: dict[str, Any] = {"limit": 200, **params}
    while True:
        r = client.get("/v1/audit", params=query, headers=headers)
        assert r.status_code == 200, r.text
        found += r.json()["entries"]
        if (before := r.json()["next_before"]) is None:
            return found
        query["before"] = before


def stored(services: Services, org: str, action: AuditAction) -> list[AuditEntry]:
    return services.audit.list(org, action=action, limit=200).entries


def audit_lines(logs: LogCapture, action: str) -> list[dict[str, Any]]:
    return [line for line in logs.lines if line["logger"] == "assistant.application.audit" and line["action"] == action]


# -- the API --------------------------------------------------------------------------------------------------
def test_a_refused_role_is_recorded_with_its_route_and_request_id(client: TestClient, json_logs: LogCapture) -> None:
    request_id = rid()
    r = client.get("/v1/documents", headers={**auth("bergveld", "merchant"), "X-Request-ID": request_id})
    assert r.status_code == 403
    mine = [
        e for e in entries(client, auth("bergveld", "admin"), action="role_refused") if e["request_id"] == request_id
    ]
    assert mine == [
        {
            "at": mine[0]["at"],
            "action": "role_refused",
            "actor_key_id": hash_key(KEYS[("bergveld", "merchant")]),
            "role": "merchant",
            "target": "GET /v1/documents",
            "outcome": "refused",
            "request_id": request_id,
        }
    ]
    (line,) = [line for line in audit_lines(json_logs, "role_refused") if line["request_id"] == request_id]
    assert line["level"] == "INFO" and line["org_id"] == "bergveld" and line["target"] == "GET /v1/documents"
    assert line["actor_key_id"] == mine[0]["actor_key_id"] and line["details"] == {"needs": "ingest"}
    assert KEYS[("bergveld", "merchant")] not in str(json_logs.lines)  # the key itself is never logged


def test_reading_the_audit_log_is_for_admins(client: TestClient) -> None:
    for role in ("merchant", "support"):
        request_id = rid()
        r = client.get("/v1/audit", headers={**auth("fynbos", role), "X-Request-ID": request_id})
        assert r.status_code == 403, r.text
        refused = entries(client, auth("fynbos", "admin"), action="role_refused")
        assert any(e["request_id"] == request_id and e["target"] == "GET /v1/audit" for e in refused)


def test_credits_granted_over_the_api(client: TestClient, services: Services, json_logs: LogCapture) -> None:
    org, _, admin = admin_of(services)
    request_id = rid()
    body = {"credits": 12.5, "idempotency_key": "audit-grant-1", "note": "for the audit"}
    r = client.post("/v1/admin/credits", json=body, headers={**admin, "X-Request-ID": request_id})
    assert r.status_code == 200, r.text
    (entry,) = entries(client, admin, action="credits_granted")
    assert entry["target"] == r.json()["entry"]["id"] and entry["request_id"] == request_id
    assert entry["role"] == "admin" and entry["outcome"] == "ok"
    (record,) = stored(services, org, AuditAction.credits_granted)
    assert record.details == {"credits": 12.5, "idempotency_key": "audit-grant-1", "note": "for the audit"}
    (line,) = [line for line in audit_lines(json_logs, "credits_granted") if line["request_id"] == request_id]
    assert line["org_id"] == org and line["details"]["credits"] == 12.5 and line["audit_id"] == record.id
    assert datetime.fromisoformat(line["expires_at"]) == record.expires_at == record.at + timedelta(days=400)


def test_documents_uploaded_reindexed_and_deleted(client: TestClient, services: Services) -> None:
    org, _, admin = admin_of(services)
    upload(client, admin, "audit-ropes.md", "# Ropes\n\nCoil climbing ropes loosely and keep them out of the sun.\n")
    doc_id = "upload:audit-ropes.md"
    assert client.post(f"/v1/documents/{doc_id}/reindex", headers=admin).status_code == 200
    request_id = rid()
    assert client.delete(f"/v1/documents/{doc_id}", headers={**admin, "X-Request-ID": request_id}).status_code == 200
    by_action = {e["action"]: e for e in entries(client, admin)}
    assert {a: (e["target"], e["outcome"]) for a, e in by_action.items() if a.startswith("document_")} == {
        "document_uploaded": (doc_id, "ok"),
        "document_reindexed": (doc_id, "ok"),
        "document_deleted": (doc_id, "ok"),
    }
    assert by_action["document_deleted"]["request_id"] == request_id
    assert all(e["request_id"] for e in by_action.values())
    (reindexed,) = stored(services, org, AuditAction.document_reindexed)
    assert reindexed.details["unchanged"] == 1


def test_pages_and_what_the_query_refuses(client: TestClient, services: Services) -> None:
    _, _, admin = admin_of(services)
    for i in range(5):
        body = {"credits": 1, "idempotency_key": f"page-{i}"}
        assert client.post("/v1/admin/credits", json=body, headers=admin).status_code == 200
    first = client.get("/v1/audit", params={"limit": 2}, headers=admin).json()
    assert len(first["entries"]) == 2 and first["next_before"]
    pages, before = [first["entries"]], first["next_before"]
    while before:
        page = client.get("/v1/audit", params={"limit": 2, "before": before}, headers=admin).json()
        pages.append(page["entries"])
        before = page["next_before"]
    flat = [e for page in pages for e in page]
    assert [len(p) for p in pages] == [2, 2, 1] and [e["at"] for e in flat] == sorted(
        (e["at"] for e in flat), reverse=True
    )
    assert len({(e["at"], e["target"]) for e in flat}) == 5

    unknown = client.get("/v1/audit", params={"action": "money_moved"}, headers=admin)
    assert unknown.status_code == 422
    assert "key_created" in unknown.text and "role_refused" in unknown.text  # names the valid ones
    for params in ({"limit": 0}, {"limit": 201}, {"before": "not-a-cursor"}):
        assert client.get("/v1/audit", params=params, headers=admin).status_code == 422, params


def test_an_admin_of_fynbos_never_sees_bergvelds_entries(client: TestClient) -> None:
    request_id = rid()
    assert (
        client.get("/v1/documents", headers={**auth("bergveld", "support"), "X-Request-ID": request_id}).status_code
        == 403
    )
    (theirs,) = [e for e in entries(client, auth("bergveld", "admin")) if e["request_id"] == request_id]
    fynbos = entries(client, auth("fynbos", "admin"))
    assert request_id not in {e["request_id"] for e in fynbos}
    assert hash_key(KEYS[("bergveld", "support")]) not in {e["actor_key_id"] for e in fynbos}
    # The org is the key's: no parameter names another, and an org_id sent anyway changes nothing.
    sneaky = client.get("/v1/audit", params={"org_id": "bergveld"}, headers=auth("fynbos", "admin")).json()
    assert request_id not in {e["request_id"] for e in sneaky["entries"]}
    assert theirs["role"] == "support"


def test_a_record_that_cannot_be_stored_never_fails_the_action(
    client: TestClient, services: Services, stub: Stub, json_logs: LogCapture
) -> None:
    class Down:
        def append(self, org_id: str, entry: AuditEntry) -> AuditEntry:
            raise RuntimeError("firestore is away")

    org, _, admin = admin_of(services)
    stub("audit", Down())
    request_id = rid()
    body = {"credits": 3, "idempotency_key": "while-down"}
    r = client.post("/v1/admin/credits", json=body, headers={**admin, "X-Request-ID": request_id})
    assert r.status_code == 200 and r.json()["balance"] == 3  # granted all the same
    (line,) = [line for line in audit_lines(json_logs, "credits_granted") if line["request_id"] == request_id]
    assert line["level"] == "ERROR" and "firestore is away" in line["audit_not_stored"] and line["org_id"] == org


# -- PayFast's notification ------------------------------------------------------------------------------------
def test_credits_bought_is_recorded_as_payfasts_with_the_invoice(
    services: Services, stub: Stub, json_logs: LogCapture
) -> None:
    class Validates:
        async def validate(self, param_string: str) -> bool:
            return True

    org, _ = make_org(services, role=Role.admin)
    purchase = new_purchase(org, pack(services.prices, "starter"), services.prices.billing.vat_percent, buyer="k1")
    services.purchases.create(purchase)
    settings = services.billing_settings
    fields = [
        ("m_payment_id", purchase.id),
        ("pf_payment_id", "1234567"),
        ("payment_status", "COMPLETE"),
        ("amount_gross", payfast.amount_text(purchase.total_cents)),
        ("merchant_id", settings.payfast_merchant_id.get_secret_value()),
    ]
    posted = [*fields, ("signature", payfast.itn_signature(fields, settings.passphrase))]
    stub("payments", Validates())
    outcome = anyio.run(receive, services, posted, "127.0.0.1")
    assert outcome.outcome == "complete", outcome
    (record,) = stored(services, org, AuditAction.credits_bought)
    invoice = services.purchases.get(org, purchase.id).invoice_number
    assert (record.actor_key_id, record.role, record.target, record.outcome) == ("payfast", "system", invoice, "ok")
    assert record.details["purchase_id"] == purchase.id and record.details["credits"] == 1000
    assert audit_lines(json_logs, "credits_bought")[-1]["target"] == invoice
    assert anyio.run(receive, services, posted, "127.0.0.1").outcome == "duplicate"
    assert len(stored(services, org, AuditAction.credits_bought)) == 1  # PayFast's repeats buy nothing more


# -- the UI ----------------------------------------------------------------------------------------------------
def test_ui_sign_in_and_a_refused_role(services: Services, json_logs: LogCapture) -> None:
    org, key = make_org(services, role=Role.merchant)
    principal, token = start_session(services, key) or pytest.fail("the key signs in")
    (signed,) = stored(services, org, AuditAction.sign_in)
    assert (signed.actor_key_id, signed.role, signed.outcome, signed.target) == (
        principal.key_id,
        "merchant",
        "ok",
        "ui",
    )
    assert signed.request_id.startswith("ui-")

    wrong = "fx_" + uuid.uuid4().hex
    assert start_session(services, wrong) is None
    line = audit_lines(json_logs, "sign_in")[-1]
    assert line["outcome"] == "refused" and "org_id" not in line and line["actor_key_id"] == ""
    assert wrong not in str(json_logs.lines) and hash_key(wrong) not in str(json_logs.lines)

    with pytest.raises(Refusal):
        require(services, token, Capability.credits_grant)
    (refused,) = stored(services, org, AuditAction.role_refused)
    assert (refused.target, refused.outcome, refused.details) == (
        "ui:credits_grant",
        "refused",
        {"needs": "credits_grant"},
    )
    assert signed_in(services, token, Capability.ingest) is None  # a view that shows nothing is no refusal
    assert len(stored(services, org, AuditAction.role_refused)) == 1


def test_ui_grant_goes_through_the_application(services: Services) -> None:
    org, key = make_org(services, role=Role.admin)
    principal, _ = start_session(services, key) or pytest.fail("the key signs in")
    granted = app_credits.grant(services, principal, 4, "ui-grant-1", "from the admin tab")
    (record,) = stored(services, org, AuditAction.credits_granted)
    assert record.target == granted.entry.id and record.request_id == ""  # a UI event is no API request
    page = app_audit.latest(services, principal, limit=50)
    assert {e.action for e in page.entries} >= {AuditAction.credits_granted, AuditAction.sign_in}


# -- the CLI ---------------------------------------------------------------------------------------------------
def test_cli_admin_commands_are_recorded_as_the_operators(emulator: FirestoreEmulator, tmp_path: Path) -> None:
    project = f"test-audit-cli-{uuid.uuid4().hex[:8]}"
    env = clean_env(tmp_path, FIRESTORE_EMULATOR_HOST=emulator.address, FLUXORI_PROJECT=project)
    assert run(["admin", "create-org", "karoo-kites", "--name", "Karoo Kites"], env).returncode == 0
    created = run(["admin", "create-key", "--org", "karoo-kites", "--role", "support", "--label", "desk"], env)
    key = created.stdout.strip().splitlines()[-1]
    assert key.startswith("fx_"), created.stderr
    assert key not in created.stderr  # the JSON line names the key's id only
    assert run(["admin", "grant", "--org", "karoo-kites", "--credits", "30", "--key", "cli-1"], env).returncode == 0
    assert run(["admin", "set-quota", "--org", "karoo-kites", "--credits", "75"], env).returncode == 0
    revoked = run(["admin", "revoke-key", key], env)
    assert revoked.returncode == 0 and '"action": "key_revoked"' in revoked.stderr  # its JSON line

    services = Services(
        Settings(project=project), store=Store.connect(make_client(project, emulator_host=emulator.address))
    )
    page = services.audit.list("karoo-kites")
    by_action = {e.action: e for e in page.entries}
    assert set(by_action) == {
        AuditAction.key_created,
        AuditAction.credits_granted,
        AuditAction.quota_changed,
        AuditAction.key_revoked,
    }
    assert all(
        e.actor_key_id == "cli" and e.role == "operator" and e.request_id.startswith("cli-") for e in page.entries
    )
    key_id = hash_key(key)
    assert by_action[AuditAction.key_created].target == key_id == by_action[AuditAction.key_revoked].target
    assert by_action[AuditAction.key_created].details == {"role": "support", "label": "desk"}
    assert by_action[AuditAction.credits_granted].details["credits"] == 30
    assert by_action[AuditAction.quota_changed].details == {"credits": 75, "previous": 500}
    assert key not in str([e.model_dump() for e in page.entries])


def test_the_admin_tab_shows_the_latest_entries(services: Services) -> None:
    _, key = make_org(services, role=Role.admin)
    _, token = start_session(services, key) or pytest.fail("the key signs in")
    with gr.Blocks():
        tab = AdminTab(services, gr.State(None))
    table, status = tab.load_audit(token)
    assert list(table.columns) == AUDIT_COLUMNS and status == "The latest 1 entry."
    assert table.iloc[0]["Action"] == "sign_in" and table.iloc[0]["Key"] == hash_key(key)[:12]
    _, merchant = make_org(services, role=Role.merchant)
    _, merchant_token = start_session(services, merchant) or pytest.fail("the key signs in")
    empty, nothing = tab.load_audit(merchant_token)  # another role's sign-in: an empty table, no refusal
    assert empty.empty and nothing == ""
    assert "needs the admin role" in tab.refresh_audit(merchant_token)[1]
