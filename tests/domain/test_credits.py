from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.credits import EntryKind, credits_text, quota_day, seconds_to_next_quota_day
from domain.errors import Conflict, InsufficientCredits, InvalidInput, NotFound, QuotaExceeded
from tests.domain.fixtures import ORG, make_org, repos


@pytest.fixture
def r(store):
    r = repos(store)
    make_org(r, stock=0)
    r.credits.grant(ORG, 10_000, "welcome", note="welcome credits")
    return r


def assert_consistent(r):
    assert r.credits.ledger_total(ORG) == r.credits.account(ORG).balance_mc


def test_grant_is_idempotent(r):
    r.credits.grant(ORG, 10_000, "welcome")
    assert r.credits.account(ORG).balance_mc == 10_000
    with pytest.raises(Conflict):
        r.credits.grant(ORG, 5, "welcome")
    with pytest.raises(InvalidInput):
        r.credits.grant(ORG, 0, "zero")
    assert_consistent(r)


def test_reserve_settle_refunds_the_difference(r):
    r.credits.reserve(ORG, "req-1", 2_000)
    assert r.credits.account(ORG).balance_mc == 8_000
    settled = r.credits.settle(ORG, "req-1", 750, {"model": "fluxori-offline-1"})
    assert (settled.status, settled.charged_mc) == ("settled", 750)
    account = r.credits.account(ORG)
    assert account.balance_mc == 9_250
    assert account.used_today_mc == 750
    kinds = [e.kind for e in r.credits.ledger(ORG)]
    assert kinds == [EntryKind.settle, EntryKind.reserve, EntryKind.grant]
    assert_consistent(r)


def test_retries_never_charge_twice(r):
    for _ in range(3):
        r.credits.reserve(ORG, "req-2", 1_000)
    for _ in range(3):
        r.credits.settle(ORG, "req-2", 400)
    r.credits.refund(ORG, "req-2")  # too late: already settled, changes nothing
    assert r.credits.account(ORG).balance_mc == 9_600
    assert len(r.credits.ledger(ORG)) == 3
    assert_consistent(r)


def test_refund_gives_everything_back(r):
    r.credits.reserve(ORG, "req-3", 3_000)
    assert r.credits.refund(ORG, "req-3", "model failed").status == "refunded"
    account = r.credits.account(ORG)
    assert (account.balance_mc, account.used_today_mc) == (10_000, 0)
    assert_consistent(r)


def test_a_refunded_request_id_can_reserve_again_with_entries_of_its_own(r):
    """A failed (or swept) request is refunded; its retry with the same id runs again and is charged once."""
    r.credits.reserve(ORG, "req-4", 3_000)
    r.credits.refund(ORG, "req-4", "swept")
    again = r.credits.reserve(ORG, "req-4", 3_000)
    assert again.fresh and again.attempt == 2 and again.status == "open"
    assert not r.credits.reserve(ORG, "req-4", 3_000).fresh  # open now: a concurrent retry does not run
    r.credits.settle(ORG, "req-4", 500)
    ids = sorted(entry.id for entry in r.credits.ledger(ORG) if entry.request_id == "req-4")
    assert ids == ["refund-req-4", "reserve-req-4", "reserve-req-4-2", "settle-req-4-2"]
    assert r.credits.account(ORG).balance_mc == 9_500
    assert_consistent(r)


def test_actual_above_reservation_is_charged_but_never_below_zero(r):
    r.credits.reserve(ORG, "req-4", 9_000)
    settled = r.credits.settle(ORG, "req-4", 12_000)
    assert settled.charged_mc == 10_000
    assert r.credits.account(ORG).balance_mc == 0
    entry = r.credits.ledger(ORG, kind=EntryKind.settle)[0]
    assert entry.details["uncharged_mc"] == 2_000
    assert_consistent(r)


def test_insufficient_balance_is_refused_with_a_clear_message(r):
    with pytest.raises(InsufficientCredits, match=r"balance is 10 credits .* needs up to 11 credits"):
        r.credits.reserve(ORG, "req-5", 11_000)
    assert r.credits.account(ORG).balance_mc == 10_000
    assert len(r.credits.ledger(ORG)) == 1


def test_daily_quota(r):
    r.credits.set_daily_quota(ORG, 1_500)
    r.credits.reserve(ORG, "q-1", 1_000)
    with pytest.raises(QuotaExceeded) as info:
        r.credits.reserve(ORG, "q-2", 1_000)
    assert 0 < info.value.retry_after_seconds <= 86_400
    r.credits.settle(ORG, "q-1", 200)  # unused part goes back to today's quota too
    r.credits.reserve(ORG, "q-2", 1_000)
    assert r.credits.daily_usage(ORG)[quota_day()] == 1_200
    assert_consistent(r)


def test_unknown_things(r):
    with pytest.raises(NotFound):
        r.credits.settle(ORG, "never-reserved", 10)
    with pytest.raises(NotFound):
        r.credits.account("nobody")
    with pytest.raises(InvalidInput):
        r.credits.reserve(ORG, "a/b", 10)


def test_quota_day_is_south_african():
    late_utc = datetime(2026, 11, 25, 22, 30, tzinfo=UTC)  # 00:30 on the 26th in Johannesburg
    assert quota_day(late_utc) == "2026-11-26"
    assert seconds_to_next_quota_day(late_utc) == 23.5 * 3600
    assert credits_text(1_500) == "1.5 credits"
