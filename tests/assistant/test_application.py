"""The application layer that the API and the UI share: the role policy, search scope, grants and uploads, against
the real Firestore emulator (the `services` fixture of tests/assistant)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from app.wiring import Services
from assistant.application import credits as app_credits
from assistant.application import search as app_search
from assistant.application.policy import Capability, Forbidden, can, check, roles_for
from assistant.application.uploads import ALLOWED_SUFFIXES, ingest_uploads, safe_name, upload_root
from domain.errors import InvalidInput
from domain.orgs import Principal, Role
from domain.uploads import Upload
from ingestion.loaders import is_supported


def caller(role: Role, org: str = "bergveld") -> Principal:
    return Principal(org_id=org, role=role, key_id=f"test-{role.value}")


def test_the_role_matrix_of_the_readme():
    matrix = {role: {c.value for c in Capability if can(role, c)} for role in Role}
    assert matrix == {
        Role.merchant: {"chat", "confirm", "feedback", "search", "credits_view", "briefing"},
        Role.support: {"chat", "feedback", "search"},
        Role.admin: {
            "search",
            "credits_view",
            "credits_grant",
            "billing",
            "metrics",
            "audit",
            "ingest",
            "briefing",
            "briefing_webhook",
        },
    }
    assert roles_for(Capability.credits_view) == (Role.merchant, Role.admin)
    with pytest.raises(Forbidden, match="needs the admin role; this key's role is merchant"):
        check(caller(Role.merchant), Capability.ingest)


def test_support_searches_the_knowledge_base_only():
    support, merchant = caller(Role.support), caller(Role.merchant)
    assert app_search.scope(support, None) == "kb" and app_search.scope(support, "kb") == "kb"
    with pytest.raises(Forbidden, match="knowledge base only"):
        app_search.scope(support, "order")
    assert app_search.scope(merchant, None) is None and app_search.scope(merchant, "order") == "order"


def test_blank_or_long_searches_are_refused_before_the_index(services: Services):
    for query in ("   ", "x" * (app_search.MAX_QUERY_CHARS + 1)):
        with pytest.raises(InvalidInput):
            app_search.search(services, caller(Role.merchant), query)
    assert not services.is_built("searcher")  # refused before the index (and its model) was even built


def test_grant_checks_role_and_amount_and_is_idempotent(services: Services):
    admin = caller(Role.admin)
    with pytest.raises(Forbidden):
        app_credits.grant(services, caller(Role.merchant), 5, "grant-merchant-1")
    for amount in (0, -1, 0.0001, app_credits.MAX_GRANT_CREDITS + 1):
        with pytest.raises(InvalidInput):
            app_credits.grant(services, admin, amount, "grant-invalid-1")
    before = services.credits.account("bergveld").balance_mc
    first = app_credits.grant(services, admin, 2.5, "grant-app-1", "  a note  ")
    again = app_credits.grant(services, admin, 2.5, "grant-app-1", "a note")
    assert first.entry.id == again.entry.id and first.entry.note == "a note"
    assert again.balance_mc == before + 2500
    view = app_credits.overview(services, admin, ledger_limit=3)
    assert view.account.balance_mc == before + 2500 and len(view.ledger) <= 3
    with pytest.raises(Forbidden):
        app_credits.overview(services, caller(Role.support))


def test_one_list_of_upload_suffixes_the_loaders_read():
    assert all(is_supported(f"a{suffix}") for suffix in ALLOWED_SUFFIXES)
    assert safe_name("../../etc/evil name.md") == "evil_name.md"
    for bad in ("tool.exe", "", "..", "notes.docx"):
        with pytest.raises(InvalidInput):
            safe_name(bad)


def test_a_refused_upload_writes_nothing(services: Services):
    admin = caller(Role.admin)
    with pytest.raises(InvalidInput):
        ingest_uploads(services, admin, [Upload("ok.md", io.BytesIO(b"# ok")), Upload("x.exe", io.BytesIO(b"MZ"))])
    with pytest.raises(Forbidden):
        ingest_uploads(services, caller(Role.merchant), [Upload("ok.md", io.BytesIO(b"# ok"))])
    assert not Path(upload_root(services.settings, "bergveld")).exists()
