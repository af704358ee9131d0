"""AI credits: a balance per organisation, an append-only ledger and a daily quota.

Amounts are integers in millicredits (1 credit = 1000 mc) so that sums are exact. Every change writes the
balance and its ledger entry in one transaction, so the ledger always sums to the balance. A reservation is
taken before an assistant call and settled (or refunded) after it, each under an idempotency key: a retried
request is never charged twice. A refunded reservation (the call failed, or was swept as stale by
`domain.recovery`) can be taken again by the same request id: its retry runs, with ledger entries of its own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from google.api_core import exceptions as gexc
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter
from pydantic import BaseModel, Field

from domain.errors import Conflict, DomainError, InsufficientCredits, InvalidInput, NotFound, QuotaExceeded
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
    attempt: int = Field(default=1, description="1, then 2, 3... each time a refunded reservation is taken again")
    fresh: bool = Field(default=False, exclude=True, description="made by this call, not found from an earlier one")
    balance_mc: int = Field(default=0, exclude=True, description="the account's balance after this call")


Recorder = Callable[[Reservation], tuple[firestore.DocumentReference, dict]]


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
        self._queue_lock = threading.Lock()
        self._queues: dict[str, list[_Op]] = {}  # per organisation: calls waiting for the next transaction
        self._turns: dict[str, threading.Lock] = {}  # per organisation: held by the call running a transaction

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
        return self._snapshot_data(org_id, self._account(org_id).get(transaction=tx))

    @staticmethod
    def _snapshot_data(org_id: str, snap: firestore.DocumentSnapshot) -> dict:
        if not snap.exists:
            raise NotFound(f"organisation {org_id!r} has no credits account")
        return snap.to_dict() or {}

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

    @staticmethod
    def _read(tx: firestore.Transaction, *refs: firestore.DocumentReference) -> list[firestore.DocumentSnapshot]:
        """The snapshots of `refs`, in their order, read in one round trip (Firestore returns them in any order)."""
        by_path = {snap.reference.path: snap for snap in tx.get_all(list(refs))}
        return [by_path[ref.path] for ref in refs]

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
                return existing.to_dict() or {}
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
        op = _Op(_check_request_id(request_id), EntryKind.reserve, amount_mc, day=quota_day(now), now=now)
        return self._submit(org_id, op)

    def settle(
        self,
        org_id: str,
        request_id: str,
        actual_mc: int,
        details: dict | None = None,
        record: Recorder | None = None,
    ) -> Reservation:
        """Charge the actual cost of a reserved call and give back the rest. An actual cost above the
        reservation is charged as far as the balance allows (never below zero); the shortfall is recorded.
        `record(settled)` returns a document and its data (e.g. the stored answer, which shows the charge and
        the balance): it is written in the same transaction, so it exists exactly when the call was charged."""
        if actual_mc < 0:
            raise InvalidInput("an actual cost cannot be negative")
        op = _Op(_check_request_id(request_id), EntryKind.settle, actual_mc, details=details or {}, record=record)
        return self._submit(org_id, op)

    def refund(self, org_id: str, request_id: str, reason: str = "") -> Reservation:
        """Give back a whole reservation, e.g. when the call failed."""
        details = {"reason": reason} if reason else {}
        return self._submit(org_id, _Op(_check_request_id(request_id), EntryKind.refund, 0, details=details))

    # Group commit ------------------------------------------------------------------------------------------
    # Every call of an organisation changes its one account document, so its reservations and settlements are
    # serialised. Instead of one transaction each, the calls that queue up while a transaction runs go into the
    # next one together (the first of them in line runs it): under load N calls cost one transaction, not N,
    # and a lone call waits for nobody. Each call still gets its own ledger entry and its own result or error.
    def _submit(self, org_id: str, op: _Op) -> Reservation:
        with self._queue_lock:
            self._queues.setdefault(org_id, []).append(op)
            turn = self._turns.setdefault(org_id, threading.Lock())
        while not op.result.done():
            with turn:
                if op.result.done():  # the transaction of the call before us carried ours
                    break
                with self._queue_lock:
                    queue = self._queues[org_id]
                    batch, queue[:] = queue[:MAX_BATCH], queue[MAX_BATCH:]
                if batch:
                    self._commit(org_id, batch)
        return Reservation(**op.result.result())

    def _commit(self, org_id: str, ops: list[_Op]) -> None:
        def apply(tx: firestore.Transaction) -> list[tuple[bool, Any]]:
            books = _Books(self, org_id, tx, ops)
            outcomes: list[tuple[bool, Any]] = []
            for op in ops:
                try:
                    outcomes.append((True, books.reserve(op) if op.kind == EntryKind.reserve else books.close(op)))
                except DomainError as exc:  # refuses this call only; the others of the batch go on
                    outcomes.append((False, exc))
            books.write()
            return outcomes

        outcomes: list[tuple[bool, Any]] = [(False, RuntimeError("the credits transaction was interrupted"))] * len(ops)
        try:
            outcomes = self.store.runner.run(apply, lock=[self._account(org_id).path])
        except Exception as exc:  # the transaction failed as a whole: so did every call in it
            outcomes = [(False, exc)] * len(ops)
        finally:  # every waiter gets an outcome, even when this thread is interrupted
            for op, (ok, value) in zip(ops, outcomes, strict=True):
                if ok:
                    op.result.set_result(value)
                else:
                    op.result.set_exception(value)

    def open_reservations(self, org_id: str, older_than: datetime) -> list[str]:
        """Request ids of the reservations still open that were taken before `older_than`."""
        query = self.store.col(org_id, "reservations").where(filter=FieldFilter("status", "==", "open"))
        return sorted(snap.id for snap in query.stream() if snap.get("created_at") < older_than)

    def ledger(
        self, org_id: str, limit: int = 50, kind: EntryKind | None = None, since: datetime | None = None
    ) -> list[LedgerEntry]:
        """The newest entries first; `since` keeps those made at or after it (not with `kind`: that pair would
        need a composite index)."""
        query: firestore.CollectionReference | firestore.Query = self.store.col(org_id, "ledger")
        if kind:
            query = query.where(filter=FieldFilter("kind", "==", kind.value))
        if since is not None:
            query = query.where(filter=FieldFilter("created_at", ">=", since))
        query = query.order_by("created_at", direction=firestore.Query.DESCENDING).limit(limit)
        return [LedgerEntry(**(snap.to_dict() or {})) for snap in query.stream()]

    def ledger_total(self, org_id: str) -> int:
        """Sum of every ledger entry, computed by Firestore's aggregation query."""
        result = self.store.col(org_id, "ledger").sum("amount_mc").get()
        return int(result[0][0].value or 0)

    def daily_usage(self, org_id: str, days: int = 30) -> dict[str, int]:
        start = quota_day(utcnow() - timedelta(days=days - 1))
        query = self.store.col(org_id, "usage").where(filter=FieldFilter("day", ">=", start))
        return {snap.get("day"): snap.get("used_mc") for snap in query.stream()}


MAX_BATCH = 100  # calls per transaction: at most 3 writes each, well under Firestore's 500 per commit


@dataclass
class _Op:
    """A reserve, settle or refund waiting for its organisation's next transaction."""

    request_id: str
    kind: EntryKind
    amount_mc: int  # reserve: the amount to hold; settle: the actual cost; refund: 0
    day: str = ""  # reserve: the quota day it counts against
    now: datetime | None = None
    details: dict = field(default_factory=dict)
    record: Recorder | None = None
    result: Future[dict] = field(default_factory=Future)


class _Books:
    """An organisation's account, quota usage and reservations as read by one transaction, changed in memory by
    each call in turn, then written back together."""

    def __init__(self, repo: CreditsRepository, org_id: str, tx: firestore.Transaction, ops: list[_Op]) -> None:
        self.repo, self.org_id, self.tx = repo, org_id, tx
        days = sorted({op.day for op in ops if op.day} | {quota_day()})
        request_ids = sorted({op.request_id for op in ops})
        snaps = repo._read(
            tx,
            repo._account(org_id),
            *(repo._usage(org_id, day) for day in days),
            *(repo._reservation(org_id, rid) for rid in request_ids),
        )
        account = repo._snapshot_data(org_id, snaps[0])
        self.balance, self.quota = account["balance_mc"], account["daily_quota_mc"]
        usage_snaps, reservation_snaps = snaps[1 : 1 + len(days)], snaps[1 + len(days) :]
        self.usage = {
            day: snap.get("used_mc") if snap.exists else 0 for day, snap in zip(days, usage_snaps, strict=True)
        }
        self.reservations = {snap.id: snap.to_dict() or {} for snap in reservation_snaps if snap.exists}
        # A reservation made before midnight and closed after it gives back to its own day's quota.
        if other_days := sorted({r["day"] for r in self.reservations.values() if r["status"] == "open"} - set(days)):
            for day, snap in zip(
                other_days, repo._read(tx, *(repo._usage(org_id, d) for d in other_days)), strict=True
            ):
                self.usage[day] = snap.get("used_mc") if snap.exists else 0
        self.entries: list[LedgerEntry] = []
        self.changed_days: set[str] = set()
        self.changed_reservations: set[str] = set()
        self.records: list[tuple[firestore.DocumentReference, dict]] = []

    def reserve(self, op: _Op) -> dict:
        attempt = 1
        if (existing := self.reservations.get(op.request_id)) is not None:
            if existing["status"] != "refunded":  # open (being answered) or settled (answered): not again
                return existing | {"balance_mc": self.balance}
            attempt = existing.get("attempt", 1) + 1  # failed or swept before: this retry runs again
        used = self.usage[op.day]
        if used + op.amount_mc > self.quota:
            raise QuotaExceeded(
                f"the daily AI quota of {credits_text(self.quota)} is used up "
                f"({credits_text(used)} used today); it resets at midnight SAST, or an admin can raise it",
                retry_after_seconds=seconds_to_next_quota_day(op.now),
                quota_mc=self.quota,
                used_mc=used,
            )
        if self.balance < op.amount_mc:
            raise InsufficientCredits(
                f"not enough AI credits: the balance is {credits_text(self.balance)} and this request "
                f"needs up to {credits_text(op.amount_mc)}; an admin can top up in the Admin tab or with "
                "POST /v1/admin/credits",
                balance_mc=self.balance,
                needed_mc=op.amount_mc,
            )
        entry = self._enter(op, EntryKind.reserve, -op.amount_mc, attempt=attempt)
        self._use(op.day, op.amount_mc)
        reservation = Reservation(request_id=op.request_id, amount_mc=op.amount_mc, status="open", attempt=attempt)
        self._keep(op.request_id, {**reservation.model_dump(), "day": op.day, "created_at": entry.created_at})
        return reservation.model_dump() | {"fresh": True, "balance_mc": self.balance}

    def close(self, op: _Op) -> dict:
        data = self.reservations.get(op.request_id)
        if data is None:
            raise NotFound(f"there is no reservation for request {op.request_id!r}")
        if data["status"] != "open":  # already settled or refunded: a retry changes nothing
            return data | {"balance_mc": self.balance}
        reserved = data["amount_mc"]
        charged = min(op.amount_mc, reserved + self.balance)
        details = {"reserved_mc": reserved, "charged_mc": charged, "uncharged_mc": op.amount_mc - charged}
        entry = self._enter(op, op.kind, reserved - charged, {**op.details, **details}, data.get("attempt", 1))
        self._use(data["day"], charged - reserved)
        status = "settled" if op.kind == EntryKind.settle else "refunded"
        self._keep(op.request_id, {**data, "status": status, "charged_mc": charged, "closed_at": entry.created_at})
        closed = self.reservations[op.request_id] | {"balance_mc": self.balance}
        if op.record is not None:
            self.records.append(op.record(Reservation(**closed)))
        return closed

    def _enter(
        self, op: _Op, kind: EntryKind, amount_mc: int, details: dict | None = None, attempt: int = 1
    ) -> LedgerEntry:
        self.balance += amount_mc
        entry = LedgerEntry(
            id=f"{kind.value}-{op.request_id}" + (f"-{attempt}" if attempt > 1 else ""),
            kind=kind,
            amount_mc=amount_mc,
            balance_after_mc=self.balance,
            request_id=op.request_id,
            details=details or {},
            created_at=utcnow(),
        )
        self.entries.append(entry)
        return entry

    def _use(self, day: str, amount_mc: int) -> None:
        self.usage[day] = max(0, self.usage[day] + amount_mc)
        self.changed_days.add(day)

    def _keep(self, request_id: str, data: dict) -> None:
        self.reservations[request_id] = data
        self.changed_reservations.add(request_id)

    def write(self) -> None:
        repo, org, tx = self.repo, self.org_id, self.tx
        if self.entries:
            tx.update(repo._account(org), {"balance_mc": self.balance, "updated_at": self.entries[-1].created_at})
        for entry in self.entries:
            tx.create(repo._entry(org, entry.id), entry.model_dump())
        for day in sorted(self.changed_days):
            tx.set(repo._usage(org, day), {"day": day, "used_mc": self.usage[day]}, merge=True)
        for request_id in sorted(self.changed_reservations):
            tx.set(repo._reservation(org, request_id), self.reservations[request_id])
        for ref, data in self.records:
            tx.set(ref, data)
