"""Purchases on Google's Firestore emulator: completing grants once and numbers invoices without a gap or a
repeat under concurrency; a complete purchase never changes; the auto top-up claim is once per crossing and
capped per month."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

from domain.credits import CreditsRepository
from domain.purchases import AutoTopUp, Party, Purchase, PurchaseRepository
from domain.store import Store, utcnow

SUPPLIER = Party(name="Fluxori (Pty) Ltd", address="Johannesburg", vat_number="4000000000")


def _purchase(org: str, kind: str = "checkout") -> Purchase:
    now = utcnow()
    return Purchase(
        id=uuid.uuid4().hex,
        org_id=org,
        kind=kind,  # type: ignore[arg-type]
        pack_id="starter",
        credits_mc=1_000_000,
        price_cents=10000,
        vat_cents=1500,
        total_cents=11500,
        vat_percent=15,
        description="Fluxori AI credits: 1,000 credits (starter pack)",
        created_at=now,
        updated_at=now,
    )


def _repos(store: Store, org: str) -> tuple[CreditsRepository, PurchaseRepository]:
    credits = CreditsRepository(store)
    store.org(org).set({"name": org})
    credits.open_account(org)
    return credits, PurchaseRepository(store, credits)


def test_concurrent_completions_number_invoices_without_gaps_or_repeats(store: Store) -> None:
    credits, purchases = _repos(store, "acme")
    made = [purchases.create(_purchase("acme")) for _ in range(20)]
    with ThreadPoolExecutor(20) as pool:
        done = list(pool.map(lambda p: purchases.complete("acme", p.id, f"pf-{p.id}", SUPPLIER, "Acme"), made))
    assert all(completed for _, completed in done)
    numbers = sorted(purchase.invoice_number for purchase, _ in done)
    assert numbers == [f"INV-{n:06d}" for n in range(1, 21)]
    assert credits.account("acme").balance_mc == 20 * 1_000_000 == credits.ledger_total("acme")
    invoice = purchases.invoice("acme", numbers[0])
    assert invoice.supplier == SUPPLIER and invoice.recipient.name == "Acme" and invoice.total_cents == 11500


def test_a_complete_purchase_is_never_completed_again_or_closed(store: Store) -> None:
    credits, purchases = _repos(store, "acme")
    bought = purchases.create(_purchase("acme"))
    first, completed = purchases.complete("acme", bought.id, "pf-1", SUPPLIER, "Acme")
    again, completed_again = purchases.complete("acme", bought.id, "pf-1", SUPPLIER, "Acme")
    assert completed and not completed_again and again.invoice_number == first.invoice_number
    assert purchases.close("acme", bought.id, "failed", "late failure").status == "complete"
    assert credits.account("acme").balance_mc == 1_000_000
    assert purchases.org_of(bought.id) == "acme" and purchases.org_of("nope") is None


def test_auto_topup_claim_is_once_per_crossing_and_capped_per_month(store: Store) -> None:
    credits, purchases = _repos(store, "acme")
    purchases.set_profile("acme", "", AutoTopUp(threshold_mc=500_000, pack_id="starter"))
    assert purchases.claim_auto_topup("acme", "2026-12", 2, _purchase("acme", "auto_topup")) is None  # no card
    store.col("acme", "billing").document("profile").set({"token": "tok"}, merge=True)
    with ThreadPoolExecutor(10) as pool:
        claims = list(
            pool.map(
                lambda _: purchases.claim_auto_topup("acme", "2026-12", 2, _purchase("acme", "auto_topup")),
                range(10),
            )
        )
    assert sum(claim is not None for claim in claims) == 1
    credits.grant("acme", 600_000, "above")
    purchases.rearm("acme")
    assert purchases.claim_auto_topup("acme", "2026-12", 2, _purchase("acme", "auto_topup")) is None  # above it
    credits.reserve("acme", "q1", 500_000)
    credits.settle("acme", "q1", 500_000)  # under it again: 100,000 mc
    purchases.rearm("acme")
    assert purchases.claim_auto_topup("acme", "2026-12", 2, _purchase("acme", "auto_topup")) is not None
    purchases.rearm("acme")
    assert purchases.claim_auto_topup("acme", "2026-12", 2, _purchase("acme", "auto_topup")) is None  # cap: 2
    assert purchases.claim_auto_topup("acme", "2027-01", 2, _purchase("acme", "auto_topup")) is not None
