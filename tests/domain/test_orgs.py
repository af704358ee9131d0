from __future__ import annotations

import pytest

from domain.errors import Conflict, InvalidInput, NotFound
from domain.orgs import Role, User, hash_key
from tests.domain.fixtures import repos


def test_create_get_list_and_duplicate(store):
    r = repos(store)
    r.orgs.create("bergveld", "Berg & Veld Outdoor")
    assert r.orgs.get("bergveld").name == "Berg & Veld Outdoor"
    assert [o.id for o in r.orgs.list()] == ["bergveld"]
    with pytest.raises(Conflict):
        r.orgs.create("bergveld", "Again")
    with pytest.raises(NotFound):
        r.orgs.get("nobody")


@pytest.mark.parametrize("bad", ["A", "UPPER", "has space", "-dash", "x" * 41, "../etc"])
def test_invalid_org_ids_are_refused(store, bad):
    with pytest.raises(InvalidInput):
        repos(store).orgs.create(bad, "Name")


def test_users(store):
    r = repos(store)
    r.orgs.create("bergveld", "Berg & Veld")
    r.orgs.add_user("bergveld", User(id="thandi", email="thandi@example.co.za", name="Thandi", role=Role.admin))
    assert [u.role for u in r.orgs.list_users("bergveld")] == [Role.admin]
    with pytest.raises(NotFound):
        r.orgs.add_user("nobody", User(id="x", email="x@example.com", name="X", role=Role.merchant))


def test_api_keys_are_stored_as_hashes_and_resolve_to_their_org(store):
    r = repos(store)
    r.orgs.create("bergveld", "Berg & Veld")
    key = r.keys.create("bergveld", Role.merchant, label="shop manager")
    stored = [snap.to_dict() | {"id": snap.id} for snap in store.client.collection("api_keys").stream()]
    assert len(stored) == 1
    assert stored[0]["id"] == hash_key(key)
    assert key not in str(stored[0])
    principal = r.keys.authenticate(key)
    assert principal is not None
    assert (principal.org_id, principal.role) == ("bergveld", Role.merchant)
    assert r.keys.authenticate(key + "x") is None
    assert r.keys.authenticate("") is None
    r.keys.revoke(principal.key_id)
    assert r.keys.authenticate(key) is None


def test_fixed_demo_key_and_unknown_org(store):
    r = repos(store)
    r.orgs.create("fynbos", "Fynbos Glow")
    assert r.keys.create("fynbos", Role.support, key="fx_demo_fynbos_support") == "fx_demo_fynbos_support"
    assert r.keys.authenticate("fx_demo_fynbos_support").role == Role.support
    with pytest.raises(NotFound):
        r.keys.create("nobody", Role.admin)


def test_a_key_revoked_elsewhere_stops_working_within_the_cache_time(store, monkeypatch):
    """Another process revokes (here: the flag written straight to Firestore, as its repository does): this
    process trusts its cached principal for at most KEY_CACHE_SECONDS, then sees the revocation."""
    import domain.orgs as orgs

    r = repos(store)
    r.orgs.create("bergveld", "Berg & Veld")
    key = r.keys.create("bergveld", Role.merchant)
    assert r.keys.authenticate(key) is not None  # now cached
    store.client.collection("api_keys").document(hash_key(key)).update({"revoked": True})
    assert r.keys.authenticate(key, cache_seconds=0) is None  # Firestore says so at once
    now = orgs.time.monotonic()
    monkeypatch.setattr(orgs.time, "monotonic", lambda: now + orgs.KEY_CACHE_SECONDS + 0.1)
    assert r.keys.authenticate(key) is None
    assert orgs.KEY_CACHE_SECONDS <= 5
