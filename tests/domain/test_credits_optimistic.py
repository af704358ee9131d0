"""Credit calls as one conditional commit from the documents this process knows (domain.credits,
`_commit_optimistic`): another server instance (a second CreditsRepository on its own client) changing the same
account must never be overwritten, overspent or refused from stale figures."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from domain.credits import CreditsRepository
from domain.errors import InsufficientCredits
from domain.recovery import sweep_reservations
from domain.store import Store, make_client, utcnow
from tests.domain.fixtures import ORG, counting, make_org, repos


@pytest.fixture
def two(store, emulator, project_id):
    """This process's repository and another instance's, on separate clients, over one funded account."""
    r = repos(store)
    make_org(r, stock=0)
    r.credits.grant(ORG, 10_000, "opening")
    other = CreditsRepository(Store.connect(make_client(project_id, emulator_host=emulator.address)))
    return r.credits, other


def assert_consistent(credits: CreditsRepository) -> None:
    assert credits.ledger_total(ORG) == credits.account(ORG).balance_mc
    assert credits.open_reservations(ORG, older_than=utcnow()) == []


def test_a_known_account_costs_one_commit_per_call_and_no_transaction(two):
    mine, _ = two
    mine.reserve(ORG, "warm", 1_000)  # reads the account and today's usage once
    mine.settle(ORG, "warm", 500)
    counts = counting(mine)
    for i in range(5):
        mine.reserve(ORG, f"req-{i}", 1_000)
        mine.settle(ORG, f"req-{i}", 250)
    assert counts == {"transactions": 0, "commits": 10}
    assert mine.account(ORG).balance_mc == 10_000 - 500 - 5 * 250
    assert_consistent(mine)


def test_a_charge_by_another_instance_is_never_overwritten(two):
    mine, other = two
    mine.reserve(ORG, "mine-1", 2_000)  # this process now remembers a balance of 8,000
    other.reserve(ORG, "other-1", 7_000)  # the other instance takes most of it
    with pytest.raises(InsufficientCredits):  # 1,000 left: refused, although 8,000 were remembered
        mine.reserve(ORG, "mine-2", 2_000)
    mine.settle(ORG, "mine-1", 2_000)
    other.settle(ORG, "other-1", 7_000)
    assert mine.account(ORG).balance_mc == 1_000
    assert_consistent(mine)


def test_a_top_up_elsewhere_is_seen_before_refusing(two):
    mine, other = two
    mine.reserve(ORG, "mine-1", 9_000)  # remembers a balance of 1,000
    other.grant(ORG, 5_000, "top-up")
    assert mine.reserve(ORG, "mine-2", 4_000).status == "open"  # refused from memory, granted after a fresh read
    mine.settle(ORG, "mine-1", 9_000)
    mine.settle(ORG, "mine-2", 4_000)
    assert mine.account(ORG).balance_mc == 2_000
    assert_consistent(mine)


def test_a_reservation_swept_by_another_instance_is_not_charged_again(two):
    mine, other = two
    mine.reserve(ORG, "req", 3_000)  # open, and remembered as open by this process
    later = utcnow().replace(year=utcnow().year + 1)
    assert sweep_reservations(other, ORG, now=later) == 1  # the other instance refunds it as stale
    settled = mine.settle(ORG, "req", 1_000)
    assert (settled.status, settled.charged_mc) == ("refunded", 0)
    assert mine.account(ORG).balance_mc == 10_000
    assert_consistent(mine)


def test_two_instances_reserving_in_parallel_never_overspend(two):
    mine, other = two

    def reserve(args: tuple[CreditsRepository, str]) -> bool:
        credits, request_id = args
        try:
            credits.reserve(ORG, request_id, 1_000)
        except InsufficientCredits:
            return False
        credits.settle(ORG, request_id, 1_000)
        return True

    calls = [(mine if i % 2 else other, f"call-{i}") for i in range(30)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(pool.map(reserve, calls))
    assert sum(outcomes) == 10
    assert mine.account(ORG).balance_mc == 0
    assert min(e.balance_after_mc for e in mine.ledger(ORG, limit=500)) >= 0
    assert_consistent(mine)
