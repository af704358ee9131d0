"""Credit purchases, their tax invoices and each organisation's billing profile (VAT number, auto top-up).

A purchase is `pending` from checkout until PayFast's notification (ITN) settles it. Completing it is one
Firestore transaction that marks it `complete`, grants its credits (ledger key: PayFast's `pf_payment_id`) and
issues its tax invoice under the next number of one supplier-wide counter: a number is taken only by a commit
that succeeds, so numbers never repeat or skip, whatever runs at once. A completed purchase never changes again;
a duplicate notification finds it complete and does nothing. `payments/{m_payment_id}` finds the organisation of
a notification, which names no organisation.
"""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Any, Literal

from google.cloud import firestore
from pydantic import BaseModel, Field

from domain.credits import CreditsRepository, LedgerEntry
from domain.errors import NotFound
from domain.store import Store, read_all, utcnow

PurchaseStatus = Literal["pending", "complete", "failed", "cancelled", "rejected"]
PurchaseKind = Literal["checkout", "auto_topup"]
INVOICE_PREFIX = "INV-"


class Purchase(BaseModel):
    id: str = Field(description="Also PayFast's m_payment_id")
    org_id: str
    kind: PurchaseKind = "checkout"
    pack_id: str
    credits_mc: int
    price_cents: int
    vat_cents: int
    total_cents: int
    vat_percent: int
    description: str
    status: PurchaseStatus = "pending"
    reason: str = ""
    tokenise: bool = Field(default=False, description="Ask PayFast for a token (auto top-up)")
    buyer_key_id: str = ""
    pf_payment_id: str = ""
    invoice_number: str = ""
    created_at: datetime
    updated_at: datetime


class Party(BaseModel):
    name: str
    address: str = ""
    vat_number: str = ""


class Invoice(BaseModel):
    """A tax invoice as issued: it copies what it states, so later changes of configuration never alter it."""

    number: str
    sequence: int
    org_id: str
    purchase_id: str
    issued_at: datetime
    supplier: Party
    recipient: Party
    description: str
    credits_mc: int
    price_cents: int = Field(description="Excluding VAT")
    vat_percent: int
    vat_cents: int
    total_cents: int


class AutoTopUp(BaseModel):
    threshold_mc: int = Field(gt=0)
    pack_id: str


class BillingProfile(BaseModel):
    vat_number: str = ""
    auto_topup: AutoTopUp | None = None
    token: str = Field(default="", description="PayFast's ad hoc token from a tokenised purchase")
    armed: bool = Field(default=True, description="False from an auto top-up until the balance is above again")
    charges: dict[str, int] = Field(default_factory=dict[str, int], description="auto top-ups per SAST month")


def invoice_number(sequence: int) -> str:
    return f"{INVOICE_PREFIX}{sequence:06d}"


class PurchaseRepository:
    def __init__(self, store: Store, credits: CreditsRepository) -> None:
        self.store, self.credits = store, credits

    def _purchase(self, org_id: str, purchase_id: str) -> firestore.DocumentReference:
        return self.store.col(org_id, "purchases").document(purchase_id)

    def _payment(self, m_payment_id: str) -> firestore.DocumentReference:
        return self.store.client.collection("payments").document(m_payment_id)

    def _invoice(self, org_id: str, number: str) -> firestore.DocumentReference:
        return self.store.col(org_id, "invoices").document(number)

    def _counter(self) -> firestore.DocumentReference:
        return self.store.client.collection("sequences").document("invoices")

    def _profile(self, org_id: str) -> firestore.DocumentReference:
        return self.store.col(org_id, "billing").document("profile")

    def create(self, purchase: Purchase) -> Purchase:
        batch = self.store.client.batch()
        batch.create(self._purchase(purchase.org_id, purchase.id), purchase.model_dump())
        batch.create(self._payment(purchase.id), {"org_id": purchase.org_id, "created_at": purchase.created_at})
        batch.commit()
        return purchase

    def org_of(self, m_payment_id: str) -> str | None:
        if not m_payment_id or "/" in m_payment_id or len(m_payment_id) > 100:
            return None
        snap = self._payment(m_payment_id).get()
        return str(snap.get("org_id")) if snap.exists else None

    def get(self, org_id: str, purchase_id: str) -> Purchase:
        snap = self._purchase(org_id, purchase_id).get() if purchase_id and "/" not in purchase_id else None
        if snap is None or not snap.exists:
            raise NotFound(f"there is no purchase {purchase_id!r} in this organisation")
        return Purchase(**(snap.to_dict() or {}))

    def list(self, org_id: str, limit: int = 50) -> list[Purchase]:
        query = self.store.col(org_id, "purchases").order_by("created_at", direction=firestore.Query.DESCENDING)
        return [Purchase(**(snap.to_dict() or {})) for snap in query.limit(limit).stream()]

    def complete(
        self,
        org_id: str,
        purchase_id: str,
        pf_payment_id: str,
        supplier: Party,
        recipient_name: str,
        token: str = "",
    ) -> tuple[Purchase, bool]:
        """Mark the purchase complete, grant its credits and issue its invoice, all or nothing. Returns the
        purchase and whether this call completed it (False: it was complete already, nothing changed)."""

        def apply(tx: firestore.Transaction) -> tuple[dict[str, Any], bool]:
            ref, profile_ref = self._purchase(org_id, purchase_id), self._profile(org_id)
            snap, counter, profile_snap = read_all(tx, ref, self._counter(), profile_ref)
            if not snap.exists:
                raise NotFound(f"there is no purchase {purchase_id!r}")
            purchase = Purchase(**(snap.to_dict() or {}))
            if purchase.status == "complete":
                return purchase.model_dump(), False
            profile = BillingProfile(**(profile_snap.to_dict() or {})) if profile_snap.exists else BillingProfile()
            sequence = int(counter.get("last") if counter.exists else 0) + 1
            number, now = invoice_number(sequence), utcnow()
            entry: LedgerEntry = self.credits.grant_in(
                tx,
                org_id,
                purchase.credits_mc,
                f"payfast-{pf_payment_id}",
                note=purchase.description,
                details={"source": "purchase", "purchase_id": purchase.id, "invoice_number": number},
            )
            invoice = Invoice(
                number=number,
                sequence=sequence,
                org_id=org_id,
                purchase_id=purchase.id,
                issued_at=now,
                supplier=supplier,
                recipient=Party(name=recipient_name, vat_number=profile.vat_number),
                description=purchase.description,
                credits_mc=purchase.credits_mc,
                price_cents=purchase.price_cents,
                vat_percent=purchase.vat_percent,
                vat_cents=purchase.vat_cents,
                total_cents=purchase.total_cents,
            )
            done = purchase.model_copy(
                update={
                    "status": "complete",
                    "reason": "",
                    "pf_payment_id": pf_payment_id,
                    "invoice_number": number,
                    "updated_at": now,
                }
            )
            tx.set(self._counter(), {"last": sequence, "updated_at": now})
            tx.create(self._invoice(org_id, number), invoice.model_dump())
            tx.set(ref, done.model_dump())
            changes: dict[str, Any] = {}
            if token:
                changes["token"] = token
            if profile.auto_topup is not None and entry.balance_after_mc >= profile.auto_topup.threshold_mc:
                changes["armed"] = True  # back above the threshold: the next crossing may top up again
            if changes:
                tx.set(profile_ref, changes, merge=True)
            return done.model_dump(), True

        paths = [self.credits.account_ref(org_id).path, self._counter().path]
        data, completed = self.store.runner.run(apply, lock=paths)
        self.credits.forget(org_id)
        return Purchase(**data), completed

    def close(
        self, org_id: str, purchase_id: str, status: PurchaseStatus, reason: str, pf_payment_id: str = ""
    ) -> Purchase:
        """Mark a pending purchase failed, cancelled or rejected (with why); a complete one is never changed."""

        def apply(tx: firestore.Transaction) -> dict[str, Any]:
            ref = self._purchase(org_id, purchase_id)
            snap = ref.get(transaction=tx)
            if not snap.exists:
                raise NotFound(f"there is no purchase {purchase_id!r}")
            purchase = Purchase(**(snap.to_dict() or {}))
            if purchase.status == "complete":
                return purchase.model_dump()
            closed = purchase.model_copy(
                update={"status": status, "reason": reason, "updated_at": utcnow()}
                | ({"pf_payment_id": pf_payment_id} if pf_payment_id else {})
            )
            tx.set(ref, closed.model_dump())
            return closed.model_dump()

        return Purchase(**self.store.runner.run(apply))

    def invoices(self, org_id: str, limit: int = 100) -> builtins.list[Invoice]:
        query = self.store.col(org_id, "invoices").order_by("sequence", direction=firestore.Query.DESCENDING)
        return [Invoice(**(snap.to_dict() or {})) for snap in query.limit(limit).stream()]

    def invoice(self, org_id: str, number: str) -> Invoice:
        snap = self._invoice(org_id, number).get() if number.startswith(INVOICE_PREFIX) and "/" not in number else None
        if snap is None or not snap.exists:
            raise NotFound(f"there is no invoice {number!r} in this organisation")
        return Invoice(**(snap.to_dict() or {}))

    # Billing profile and auto top-up ------------------------------------------------------------------------
    def profile(self, org_id: str) -> BillingProfile:
        snap = self._profile(org_id).get()
        return BillingProfile(**(snap.to_dict() or {})) if snap.exists else BillingProfile()

    def set_profile(self, org_id: str, vat_number: str, auto_topup: AutoTopUp | None) -> BillingProfile:
        changes = {"vat_number": vat_number, "auto_topup": auto_topup.model_dump() if auto_topup else None}
        self._profile(org_id).set(changes | {"armed": True}, merge=True)
        return self.profile(org_id)

    def claim_auto_topup(self, org_id: str, month: str, max_per_month: int, purchase: Purchase) -> Purchase | None:
        """Take the auto top-up of this threshold crossing: once, however many settlements see the balance under
        the threshold at the same time, and at most `max_per_month` times a SAST month. The balance is read in
        the transaction (a settlement's figure may be older than a top-up that landed meanwhile). Creates
        `purchase` and disarms the profile in one transaction; None when there is nothing to charge."""

        def apply(tx: firestore.Transaction) -> bool:
            snap, account = read_all(tx, self._profile(org_id), self.credits.account_ref(org_id))
            profile = BillingProfile(**(snap.to_dict() or {})) if snap.exists else BillingProfile()
            rule = profile.auto_topup
            if rule is None or not profile.token or not profile.armed or not account.exists:
                return False
            if account.get("balance_mc") >= rule.threshold_mc or profile.charges.get(month, 0) >= max_per_month:
                return False
            charges = profile.charges | {month: profile.charges.get(month, 0) + 1}
            tx.set(self._profile(org_id), {"armed": False, "charges": charges}, merge=True)
            tx.create(self._purchase(org_id, purchase.id), purchase.model_dump())
            tx.create(self._payment(purchase.id), {"org_id": org_id, "created_at": purchase.created_at})
            return True

        return purchase if self.store.runner.run(apply, lock=[self._profile(org_id).path]) else None

    def rearm(self, org_id: str) -> None:
        """After an auto top-up that could not be charged: the next settlement under the threshold tries again."""
        self._profile(org_id).set({"armed": True}, merge=True)
