"""The audit repository on the Firestore emulator: append-only records per organisation, their expiry, newest-first
paging with a cursor, the action filter and what it refuses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.audit import MAX_LIMIT, AuditAction, AuditEntry, AuditOutcome, AuditRepository, entry_id
from domain.errors import Conflict, InvalidInput

ORG, OTHER = "acme-outdoor", "other-org"
T0 = datetime(2025, 3, 1, 8, 15, tzinfo=UTC)


def entry(minutes: float, action: AuditAction = AuditAction.credits_granted, **fields: object) -> AuditEntry:
    return AuditEntry(at=T0 + timedelta(minutes=minutes), action=action, actor_key_id="k" * 64, role="admin", **fields)


def test_an_entry_is_stored_whole_with_its_expiry(store):
    audit = AuditRepository(store, retention_days=400)
    made = entry(0, target="grant-first", request_id="req_0123456789", details={"credits": 25.0, "note": "opening"})
    stored = audit.append(ORG, made)
    assert stored.expires_at == T0 + timedelta(days=400)
    snap = store.col(ORG, "audit").document(made.id).get()
    data = snap.to_dict()
    assert data["expires_at"] == T0 + timedelta(days=400)  # a Firestore timestamp: what the TTL policy reads
    assert {k: data[k] for k in ("action", "outcome", "target", "request_id", "role")} == {
        "action": "credits_granted",
        "outcome": "ok",
        "target": "grant-first",
        "request_id": "req_0123456789",
        "role": "admin",
    }
    assert audit.list(ORG).entries == [stored]


def test_records_are_append_only(store):
    audit = AuditRepository(store, retention_days=30)
    first = audit.append(ORG, entry(0))
    with pytest.raises(Conflict):  # the same id again never replaces it
        audit.append(ORG, first.model_copy(update={"outcome": AuditOutcome.failed}))
    assert audit.list(ORG).entries[0].outcome == AuditOutcome.ok
    public = {name for name in dir(audit) if not name.startswith("_")}
    assert public == {"append", "list", "store", "retention"}  # no update, no delete


def test_ids_order_by_time_and_tell_entries_of_one_instant_apart():
    same = [entry_id(T0), entry_id(T0)]
    assert same[0] != same[1]
    later = [entry_id(T0 + timedelta(microseconds=m)) for m in (1, 999_999, 1_000_000, 86_400_000_000)]
    assert max(same) < later[0] and later == sorted(later)
    assert AuditEntry(at=T0, action=AuditAction.sign_in).id.startswith("20250301T081500000000Z-")


def test_pages_newest_first_with_a_cursor_and_no_entry_twice(store):
    audit = AuditRepository(store, retention_days=30)
    made = [audit.append(ORG, entry(i)) for i in range(7)]
    made += [audit.append(ORG, entry(3)) for _ in range(3)]  # several in one instant: the id breaks the tie
    seen, before, pages = [], None, 0
    while True:
        page = audit.list(ORG, limit=3, before=before)
        seen += page.entries
        pages += 1
        if page.next_before is None:
            break
        assert page.next_before == page.entries[-1].id
        before = page.next_before
    assert pages == 4 and len(seen) == 10 and {e.id for e in seen} == {e.id for e in made}
    assert [e.at for e in seen] == sorted((e.at for e in made), reverse=True)
    exact = audit.list(ORG, limit=10)
    assert len(exact.entries) == 10 and exact.next_before is None  # no empty page after a full last one


def test_the_action_filter_and_the_organisations_apart(store):
    audit = AuditRepository(store, retention_days=30)
    audit.append(ORG, entry(0, AuditAction.key_created))
    audit.append(ORG, entry(1, AuditAction.role_refused, outcome=AuditOutcome.refused))
    theirs = audit.append(OTHER, entry(2, AuditAction.role_refused, outcome=AuditOutcome.refused))
    refused = audit.list(ORG, action="role_refused").entries
    assert [e.action for e in refused] == [AuditAction.role_refused] and theirs.id not in {e.id for e in refused}
    assert [e.action for e in audit.list(ORG, action=AuditAction.key_created).entries] == [AuditAction.key_created]
    assert [e.id for e in audit.list(OTHER).entries] == [theirs.id]
    # Another organisation's cursor only says "older than": it never reaches that organisation's records.
    assert theirs.id not in {e.id for e in audit.list(ORG, before=entry_id(T0 + timedelta(days=1))).entries}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"action": "granted_money"}, "use one of: key_created, key_revoked, credits_granted"),
        ({"limit": 0}, f"1 to {MAX_LIMIT}"),
        ({"limit": MAX_LIMIT + 1}, f"1 to {MAX_LIMIT}"),
        ({"before": "../../orgs/other-org"}, "not an audit cursor"),
    ],
)
def test_what_a_query_refuses(store, kwargs, message):
    with pytest.raises(InvalidInput, match=message):
        AuditRepository(store, retention_days=30).list(ORG, **kwargs)


def test_an_entry_needs_an_id_entry_id_made_and_a_retention_of_a_day(store):
    with pytest.raises(InvalidInput):
        AuditRepository(store, retention_days=30).append(ORG, entry(0, id="mine"))
    with pytest.raises(InvalidInput):
        AuditRepository(store, retention_days=0)
