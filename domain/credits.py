"""AI credits: a balance per organisation, an append-only ledger and a daily quota.

Amounts are integers in millicredits (1 credit = 1000 mc) so that sums are exact. Every change writes the
balance and its ledger entry in one transaction, so the ledger always sums to the balance. A reservation is
taken before an assistant call and settled (or refunded) after it, each under an idempotency key: a retried
request is never charged twice.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from google.api_core import exceptions as gexc
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter
from pydantic import BaseModel, Field

from domain.errors import Conflict, InsufficientCredits, InvalidInput, NotFound, QuotaExceeded
from domain.store import Store, utcnow

MC_PER_CREDIT = 1000
DEFAULT_DAILY_QUOTA_MC = 500 * MC_PER_CREDIT
SAST = ZoneInfo("Africa/Johannesburg")


def credits_text(mc: int) -> str:
    return f"{mc / MC_PER_CREDIT:,.3f}".rstrip("0").rstrip(".") + " credits"


class EntryKind(StrEnum):
    grant = "grant"
    reserve = "reserve"
    settle = "settle"
    refund = "refund"


class LedgerEntry(BaseModel):
    id: str
    kind: EntryKind
    amount_mc: int = Field(description="Change of the balance: positive adds, negative takes")
    balance_after_mc: int
    request_id: str = ""
    note: str = ""
    details: dict = Field(default_factory=dict)
    created_at: datetime


class Account(BaseModel):
    org_id: str
    balance_mc: int
    daily_quota_mc: int
    used_today_mc: int = 0


class Reservation(BaseModel):
    request_id: str
    amount_mc: int
    status: str  # open | settled | refunded
    charged_mc: int = 0
    fresh: bool = Field(default=False, exclude=True, description="made by this call, not found from an earlier one")


def quota_day(now: datetime | None = None) -> str:
    return (now or utcnow()).astimezone(SAST).strftime("%Y-%m-%d")


def seconds_to_next_quota_day(now: datetime | None = None) -> int:
    local = (now or utcnow()).astimezone(SAST)
    midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(1, int((midnight - local).total_seconds()))


def _check_request_id(request_id: str) -> str:
    if not request_id or len(request_id) > 200 or "/" in request_id:
        raise InvalidInput("a request id has 1-200 characters and no '/'")
    return request_id


class CreditsRepository:
    def __init__(self, store: Store) -> None:
        self.store = store

    def _account(self, org_id: str) -> firestore.DocumentReference:
        return self.store.col(org_id, "billing").document("credits")

    def _usage(self, org_id: str, day: str) -> firestore.DocumentReference:
        return self.store.col(org_id, "usage").document(day)

    def _entry(self, org_id: str, entry_id: str) -> firestore.DocumentReference:
        return self.store.col(org_id, "ledger").document(entry_id)

    def _reservation(self, org_id: str, request_id: str) -> firestore.DocumentReference:
        return self.store.col(org_id, "reservations").document(request_id)

    def open_account(self, org_id: str, daily_quota_mc: int = DEFAULT_DAILY_QUOTA_MC) -> None:
        """Create the zero-balance account of a new organisation (no-op when it exists)."""
        if daily_quota_mc <= 0:
            raise InvalidInput("the daily quota must be positive")
        ref = self._account(org_id)
        with suppress(gexc.Conflict):  # an existing account is kept as it is
            ref.create({"balance_mc": 0, "daily_quota_mc": daily_quota_mc, "updated_at": utcnow()})

    def set_daily_quota(self, org_id: str, daily_quota_mc: int) -> None:
        if daily_quota_mc <= 0:
            raise InvalidInput("the daily quota must be positive")
        self._read_account_snapshot(org_id)
        self._account(org_id).update({"daily_quota_mc": daily_quota_mc})

    def _read_account_snapshot(self, org_id: str, tx: firestore.Transaction | None = None) -> dict:
        snap = self._account(org_id).get(transaction=tx)
        if not snap.exists:
            raise NotFound(f"organisation {org_id!r} has no credits account")
        return snap.to_dict()

    def account(self, org_id: str) -> Account:
        data = self._read_account_snapshot(org_id)
        usage = self._usage(org_id, quota_day()).get()
        used = usage.get("used_mc") if usage.exists else 0
        return Account(
            org_id=org_id,
            balance_mc=data["balance_mc"],
            daily_quota_mc=data["daily_quota_mc"],
            used_today_mc=used,
        )

    def _write(self, tx: firestore.Transaction, org_id: str, entry: LedgerEntry) -> None:
        tx.update(self._account(org_id), {"balance_mc": entry.balance_after_mc, "updated_at": entry.created_at})
        tx.create(self._entry(org_id, entry.id), entry.model_dump())

    def grant(self, org_id: str, amount_mc: int, idempotency_key: str, note: str = "") -> LedgerEntry:
        if amount_mc <= 0:
            raise InvalidInput("a grant must add a positive amount of credits")
        entry_id = f"grant-{_check_request_id(idempotency_key)}"

        def apply(tx: firestore.Transaction) -> dict:
            existing = self._entry(org_id, entry_id).get(transaction=tx)
            account = self._read_account_snapshot(org_id, tx)
            if existing.exists:
                if existing.get("amount_mc") != amount_mc:
                    raise Conflict("this idempotency key was already used for a different grant")
                return existing.to_dict()
            entry = LedgerEntry(
                id=entry_id,
                kind=EntryKind.grant,
                amount_mc=amount_mc,
                balance_after_mc=account["balance_mc"] + amount_mc,
                note=note,
                created_at=utcnow(),
            )
            self._write(tx, org_id, entry)
            return entry.model_dump()

        return LedgerEntry(**self.store.runner.run(apply, lock=[self._account(org_id).path]))

    def reserve(self, org_id: str, request_id: str, amount_mc: int, now: datetime | None = None) -> Reservation:
        """Hold `amount_mc` for a call; refused (nothing written) when the balance or today's quota is short."""
        if amount_mc <= 0:
            raise InvalidInput("a reservation must be positive")
        request_id = _check_request_id(request_id)
        day = quota_day(now)

        def apply(tx: firestore.Transaction) -> dict:
            existing = self._reservation(org_id, request_id).get(transaction=tx)
            account = self._read_account_snapshot(org_id, tx)
            usage = self._usage(org_id, day).get(transaction=tx)
            if existing.exists:
                return existing.to_dict()
            used = usage.get("used_mc") if usage.exists else 0
            if used + amount_mc > account["daily_quota_mc"]:
                raise QuotaExceeded(
                    f"the daily AI quota of {credits_text(account['daily_quota_mc'])} is used up "
                    f"({credits_text(used)} used today); it resets at midnight SAST, or an admin can raise it",
                    retry_after_seconds=seconds_to_next_quota_day(now),
                    quota_mc=account["daily_quota_mc"],
                    used_mc=used,
                )
            if account["balance_mc"] < amount_mc:
                raise InsufficientCredits(
                    f"not enough AI credits: the balance is {credits_text(account['balance_mc'])} and this request "
                    f"needs up to {credits_text(amount_mc)}; an admin can top up in the Admin tab or with "
                    "POST /v1/admin/credits",
                    balance_mc=account["balance_mc"],
                    needed_mc=amount_mc,
                )
            entry = LedgerEntry(
                id=f"reserve-{request_id}",
                kind=EntryKind.reserve,
                amount_mc=-amount_mc,
                balance_after_mc=account["balance_mc"] - amount_mc,
                request_id=request_id,
                created_at=utcnow(),
            )
            reservation = Reservation(request_id=request_id, amount_mc=amount_mc, status="open")
            self._write(tx, org_id, entry)
            tx.set(self._usage(org_id, day), {"day": day, "used_mc": used + amount_mc}, merge=True)
            tx.set(
                self._reservation(org_id, request_id),
                {**reservation.model_dump(), "day": day, "created_at": entry.created_at},
            )
            return reservation.model_dump() | {"fresh": True}

        return Reservation(**self.store.runner.run(apply, lock=[self._account(org_id).path]))

    def settle(self, org_id: str, request_id: str, actual_mc: int, details: dict | None = None) -> Reservation:
        """Charge the actual cost of a reserved call and give back the rest. An actual cost above the
        reservation is charged as far as the balance allows (never below zero); the shortfall is recorded."""
        if actual_mc < 0:
            raise InvalidInput("an actual cost cannot be negative")
        return self._close(org_id, request_id, actual_mc, EntryKind.settle, details or {})

    def refund(self, org_id: str, request_id: str, reason: str = "") -> Reservation:
        """Give back a whole reservation, e.g. when the call failed."""
        return self._close(org_id, request_id, 0, EntryKind.refund, {"reason": reason} if reason else {})

    def _close(self, org_id: str, request_id: str, actual_mc: int, kind: EntryKind, details: dict) -> Reservation:
        request_id = _check_request_id(request_id)
        ref = self._reservation(org_id, request_id)

        def apply(tx: firestore.Transaction) -> dict:
            snap = ref.get(transaction=tx)
            account = self._read_account_snapshot(org_id, tx)
            if not snap.exists:
                raise NotFound(f"there is no reservation for request {request_id!r}")
            data = snap.to_dict()
            usage_ref = self._usage(org_id, data["day"])
            usage = usage_ref.get(transaction=tx)
            if data["status"] != "open":
                return data  # already settled or refunded: a retry changes nothing
            reserved = data["amount_mc"]
            charged = min(actual_mc, reserved + account["balance_mc"])
            delta = reserved - charged
            entry = LedgerEntry(
                id=f"{kind.value}-{request_id}",
                kind=kind,
                amount_mc=delta,
                balance_after_mc=account["balance_mc"] + delta,
                request_id=request_id,
                details={
                    **details,
                    "reserved_mc": reserved,
                    "charged_mc": charged,
                    "uncharged_mc": actual_mc - charged,
                },
                created_at=utcnow(),
            )
            self._write(tx, org_id, entry)
            used = (usage.get("used_mc") if usage.exists else 0) - delta
            tx.set(usage_ref, {"used_mc": max(0, used)}, merge=True)
            status = "settled" if kind == EntryKind.settle else "refunded"
            tx.update(ref, {"status": status, "charged_mc": charged, "closed_at": entry.created_at})
            return {**data, "status": status, "charged_mc": charged}

        return Reservation(**self.store.runner.run(apply, lock=[self._account(org_id).path]))

    def ledger(self, org_id: str, limit: int = 50, kind: EntryKind | None = None) -> list[LedgerEntry]:
        query = self.store.col(org_id, "ledger")
        if kind:
            query = query.where(filter=FieldFilter("kind", "==", kind.value))
        query = query.order_by("created_at", direction=firestore.Query.DESCENDING).limit(limit)
        return [LedgerEntry(**snap.to_dict()) for snap in query.stream()]

    def ledger_total(self, org_id: str) -> int:
        """Sum of every ledger entry, computed by Firestore's aggregation query."""
        result = self.store.col(org_id, "ledger").sum("amount_mc").get()
        return int(result[0][0].value or 0)

    def daily_usage(self, org_id: str, days: int = 30) -> dict[str, int]:
        start = quota_day(utcnow() - timedelta(days=days - 1))
        query = self.store.col(org_id, "usage").where(filter=FieldFilter("day", ">=", start))
        return {snap.get("day"): snap.get("used_mc") for snap in query.stream()}
