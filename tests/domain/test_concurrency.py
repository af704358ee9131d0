"""Invariants under real contention: threads of this process and a second process against one emulator."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor

from domain.credits import MC_PER_CREDIT
from domain.errors import InsufficientCredits, InsufficientStock
from domain.orders import Customer, OrderLineInput, OrderStatus
from tests.domain.fixtures import ORG, counting, make_org, repos


def test_twenty_parallel_orders_against_stock_for_ten_place_exactly_ten(store):
    r = repos(store)
    make_org(r, stock=10)

    def place(i: int):
        try:
            return r.orders.place(
                ORG,
                "takealot",
                Customer(name=f"Buyer {i}"),
                [OrderLineInput(sku="AC-TENT-0001", quantity=1)],
                "JHB",
            )
        except InsufficientStock:
            return None

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(place, range(20)))
    placed = [o for o in results if o is not None]
    assert len(placed) == 10
    assert len({o.number for o in placed}) == 10
    level = r.inventory.level(ORG, "AC-TENT-0001", "JHB")
    assert (level.on_hand, level.reserved, level.available) == (10, 10, 0)
    assert len(r.orders.list(ORG, status=OrderStatus.pending)) == 10


def test_fifty_parallel_reservations_against_a_balance_for_ten(store):
    r = repos(store)
    make_org(r, stock=0)
    r.credits.grant(ORG, 10 * MC_PER_CREDIT, "opening")

    def reserve(i: int) -> bool:
        try:
            r.credits.reserve(ORG, f"req-{i}", MC_PER_CREDIT)
            return True
        except InsufficientCredits:
            return False

    with ThreadPoolExecutor(max_workers=50) as pool:
        outcomes = list(pool.map(reserve, range(50)))
    assert sum(outcomes) == 10
    account = r.credits.account(ORG)
    assert account.balance_mc == 0
    assert r.credits.ledger_total(ORG) == account.balance_mc


SECOND_PROCESS = textwrap.dedent(
    """
    import sys
    from concurrent.futures import ThreadPoolExecutor
    from domain.credits import CreditsRepository
    from domain.errors import InsufficientCredits
    from domain.store import Store, make_client
    host, project, org, prefix = sys.argv[1:5]
    credits = CreditsRepository(Store.connect(make_client(project, emulator_host=host)))
    def reserve(i):
        try:
            credits.reserve(org, f"{prefix}-{i}", 1000)
            return 1
        except InsufficientCredits:
            return 0
    with ThreadPoolExecutor(8) as pool:
        print(sum(pool.map(reserve, range(15))))
    """
)


def test_two_processes_reserving_never_overspend(store, emulator, project_id):
    """In-process locks cannot help across processes: here only Firestore's transactions keep the balance."""
    r = repos(store)
    make_org(r, stock=0)
    r.credits.grant(ORG, 12 * MC_PER_CREDIT, "opening")
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", SECOND_PROCESS, emulator.address, project_id, ORG, f"p{i}"],
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(2)
    ]
    successes = sum(int(p.communicate(timeout=240)[0].strip().splitlines()[-1]) for p in procs)
    assert successes == 12
    account = r.credits.account(ORG)
    assert account.balance_mc == 0
    assert r.credits.ledger_total(ORG) == 0


def test_concurrent_calls_share_transactions_and_keep_their_own_outcomes(store):
    """Calls that queue while a transaction runs go into the next one together (group commit); each still gets
    its own ledger entry and its own result, and one call's refusal does not fail the others of its batch."""
    r = repos(store)
    make_org(r, stock=0)
    r.credits.grant(ORG, 30 * MC_PER_CREDIT, "opening")
    counts = counting(r.credits)

    def call(i: int) -> str:
        try:
            r.credits.reserve(ORG, f"call-{i}", 2 * MC_PER_CREDIT)  # 40 calls of 2 credits against 30 credits
        except InsufficientCredits:
            return "refused"
        settled = r.credits.settle(ORG, f"call-{i}", MC_PER_CREDIT // 2)
        return "settled" if settled.status == "settled" and settled.charged_mc == MC_PER_CREDIT // 2 else "wrong"

    with ThreadPoolExecutor(max_workers=40) as pool:
        outcomes = list(pool.map(call, range(40)))
    assert "wrong" not in outcomes
    settled = outcomes.count("settled")
    assert settled >= 15  # at least 15 reservations of 2 credits fit in 30 at any moment
    commits = counts["transactions"] + counts["commits"]
    assert commits < 2 * len(outcomes) - outcomes.count("refused")  # fewer commits than calls
    account = r.credits.account(ORG)
    assert account.balance_mc == 30 * MC_PER_CREDIT - settled * MC_PER_CREDIT // 2
    assert r.credits.ledger_total(ORG) == account.balance_mc
    entries = r.credits.ledger(ORG, limit=500)
    assert sum(1 for e in entries if e.kind == "settle") == settled
    assert min(e.balance_after_mc for e in entries) >= 0
