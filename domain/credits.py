"""AI credits: a balance per organisation, an append-only ledger and a daily quota.

Amounts are integers in millicredits (1 credit = 1000 mc) so that sums are exact. Every change writes the
balance and its ledger entry in one atomic commit (a transaction, or a commit on the condition that what it read
has not changed), so the ledger always sums to the balance. A reservation is taken before an assistant call and
settled (or refunded) after it, each under an idempotency key: a retried request is never charged twice. A
refunded reservation (the call failed, or was swept as stale by `domain.recovery`) can be taken again by the same
request id: its retry runs, with ledger entries of its own.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable
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

from domain.batching import Batcher
from domain.errors import Conflict, DomainError, InsufficientCredits, InvalidInput, NotFound, QuotaExceeded
from domain.store import Store, read_all, utcnow

MC_PER_CREDIT = 1000
DEFAULT_DAILY_QUOTA_MC = 500 * MC_PER_CREDIT
SAST = ZoneInfo("Africa/Johannesburg")
Snapshot = firestore.DocumentSnapshot[firestore.DocumentReference]


def as_credits(mc: int) -> float:
    """Millicredits as credits, to the millicredit: the one conversion of the API, the UI and the chat."""
    return round(mc / MC_PER_CREDIT, 3)


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
    details: dict[str, Any] = Field(default_factory=dict[str, Any])
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


Recorder = Callable[[Reservation], tuple[firestore.DocumentReference, dict[str, Any]]]


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
        self._batchers_lock = threading.Lock()
        self._batchers: dict[str, Batcher[_Op, dict[str, Any]]] = {}  # per organisation: see _submit
        self._known: dict[str, dict[str, _Doc]] = {}  # per organisation, by path: see _commit_optimistic

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
        self._known.pop(org_id, None)

    def _read_account_snapshot(self, org_id: str, tx: firestore.Transaction | None = None) -> dict[str, Any]:
        return self._snapshot_data(org_id, self._account(org_id).get(transaction=tx))

    @staticmethod
    def _snapshot_data(org_id: str, snap: Snapshot) -> dict[str, Any]:
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

    _read = staticmethod(read_all)

    def _write(self, tx: firestore.Transaction, org_id: str, entry: LedgerEntry) -> None:
        tx.update(self._account(org_id), {"balance_mc": entry.balance_after_mc, "updated_at": entry.created_at})
        tx.create(self._entry(org_id, entry.id), entry.model_dump())

    def grant(
        self, org_id: str, amount_mc: int, idempotency_key: str, note: str = "", details: dict[str, Any] | None = None
    ) -> LedgerEntry:
        def apply(tx: firestore.Transaction) -> dict[str, Any]:
            return self.grant_in(tx, org_id, amount_mc, idempotency_key, note, details).model_dump()

        entry = LedgerEntry(**self.store.runner.run(apply, lock=[self._account(org_id).path]))
        self._known.pop(org_id, None)  # the account changed: read it again (the next commit would find out)
        return entry

    def grant_in(
        self,
        tx: firestore.Transaction,
        org_id: str,
        amount_mc: int,
        idempotency_key: str,
        note: str = "",
        details: dict[str, Any] | None = None,
    ) -> LedgerEntry:
        """Add credits inside the caller's transaction (reads first, then writes: call it after the caller's own
        reads and before its writes). The same key never grants twice: its first entry is returned. The caller
        runs the transaction with `account_ref(org_id).path` in its `lock` and calls `forget(org_id)` after it."""
        if amount_mc <= 0:
            raise InvalidInput("a grant must add a positive amount of credits")
        entry_id = f"grant-{_check_request_id(idempotency_key)}"
        existing = self._entry(org_id, entry_id).get(transaction=tx)
        account = self._read_account_snapshot(org_id, tx)
        if existing.exists:
            if existing.get("amount_mc") != amount_mc:
                raise Conflict("this idempotency key was already used for a different grant")
            return LedgerEntry(**(existing.to_dict() or {}))
        entry = LedgerEntry(
            id=entry_id,
            kind=EntryKind.grant,
            amount_mc=amount_mc,
            balance_after_mc=account["balance_mc"] + amount_mc,
            note=note,
            details=details or {},
            created_at=utcnow(),
        )
        self._write(tx, org_id, entry)
        return entry

    def account_ref(self, org_id: str) -> firestore.DocumentReference:
        """The account document, for a caller's transaction that reads or locks it (see `grant_in`)."""
        return self._account(org_id)

    def forget(self, org_id: str) -> None:
        """Drop what this process remembers of the account (it was changed by a caller's transaction)."""
        self._known.pop(org_id, None)

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
        details: dict[str, Any] | None = None,
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
    # next one together (domain.batching: the first of them in line runs it): under load N calls cost one
    # transaction, not N, and a lone call waits for nobody. Each call still gets its own ledger entry and its own
    # result or error.
    def _submit(self, org_id: str, op: _Op) -> Reservation:
        with self._batchers_lock:
            if (batcher := self._batchers.get(org_id)) is None:
                batcher = self._batchers[org_id] = Batcher(lambda ops: self._commit(org_id, ops), MAX_BATCH)
        return Reservation(**batcher.submit(op))

    def _commit(self, org_id: str, ops: list[_Op]) -> list[dict[str, Any] | Exception]:
        try:
            optimistic = self._commit_optimistic(org_id, ops)
            if optimistic is None:
                self._known.pop(org_id, None)  # what the transaction writes is read again when next needed
            return optimistic if optimistic is not None else self._commit_transaction(org_id, ops)
        except Exception:  # the commit failed as a whole: so did every call in it (the batcher tells them)
            self._known.pop(org_id, None)
            raise

    def _commit_transaction(self, org_id: str, ops: list[_Op]) -> list[dict[str, Any] | Exception]:
        def apply(tx: firestore.Transaction) -> list[dict[str, Any] | Exception]:
            books = _Books.read(self, org_id, tx, ops)
            outcomes = books.apply(ops)
            books.write(tx)
            return outcomes

        return self.store.runner.run(apply, lock=[self._account(org_id).path])

    # Optimistic commit ---------------------------------------------------------------------------------------
    # A transaction costs three round trips (begin, read, commit). This process keeps the account, usage and open
    # reservation documents as it last read or wrote them (with their update times), so a batch of calls is
    # usually one commit: every document it changes is written on the condition that it has not changed since
    # (update time, or "does not exist" for new ones). A commit is atomic, so when another process (or a grant)
    # changed one of them, nothing is written: the documents are read again and the batch is computed again.
    # A refusal is never made from remembered figures alone (a top-up elsewhere may have come in): it is
    # checked against fresh reads first.
    def _commit_optimistic(self, org_id: str, ops: list[_Op]) -> list[dict[str, Any] | Exception] | None:
        for _ in range(OPTIMISTIC_ATTEMPTS):
            known = self._known.setdefault(org_id, {})
            remembered = self._read_missing(org_id, ops, known)
            books = _Books.known(self, org_id, known)
            outcomes = books.apply(ops)
            if remembered and any(isinstance(v, (InsufficientCredits, QuotaExceeded)) for v in outcomes):
                self._known.pop(org_id, None)  # refused from remembered figures: look again before refusing
                continue
            try:
                books.commit_conditionally(self.store.client, known)
            except (gexc.FailedPrecondition, gexc.AlreadyExists, gexc.NotFound):  # changed elsewhere: nothing written
                self._known.pop(org_id, None)
                continue
            return outcomes
        return None

    def _read_missing(self, org_id: str, ops: list[_Op], known: dict[str, _Doc]) -> bool:
        """Read the documents the batch needs that this process does not know, in one round trip (a second one
        when an open reservation counts against a day not read yet). True when some were known already."""
        needed = [self._account(org_id)] + [self._usage(org_id, day) for day in _Books.days_of(ops)]
        needed += [self._reservation(org_id, op.request_id) for op in ops if op.kind != EntryKind.reserve]
        remembered = any(ref.path in known for ref in needed)
        while missing := list({ref.path: ref for ref in needed if ref.path not in known}.values()):
            for snap in self.store.client.get_all(missing):
                known[snap.reference.path] = _Doc(snap.to_dict() if snap.exists else None, snap.update_time)
            days = {
                data["day"]
                for ref in missing
                if "/reservations/" in ref.path and (data := known[ref.path].data) and data["status"] == "open"
            }
            needed = [self._usage(org_id, day) for day in sorted(days)]
        return remembered

    def open_reservations(self, org_id: str, older_than: datetime) -> list[str]:
        """Request ids of the reservations still open that were taken before `older_than`."""
        query = self.store.col(org_id, "reservations").where(filter=FieldFilter("status", "==", "open"))
        return sorted(snap.id for snap in query.stream() if snap.get("created_at") < older_than)

    def open_reservation_count(self) -> int:
        """Reservations open now, in every organisation (one aggregation query: the metrics gauge)."""
        group: Any = self.store.client.collection_group("reservations")  # the SDK's stubs mistype this query
        result = group.where(filter=FieldFilter("status", "==", "open")).count().get()
        return int(result[0][0].value)

    def ledger(
        self,
        org_id: str,
        limit: int = 50,
        kind: EntryKind | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[LedgerEntry]:
        """The newest entries first; `since` keeps those made at or after it, `until` those made before it (not
        with `kind`: that pair would need a composite index)."""
        query: firestore.CollectionReference | firestore.Query = self.store.col(org_id, "ledger")
        if kind:
            query = query.where(filter=FieldFilter("kind", "==", kind.value))
        if since is not None:
            query = query.where(filter=FieldFilter("created_at", ">=", since))
        if until is not None:
            query = query.where(filter=FieldFilter("created_at", "<", until))
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
OPTIMISTIC_ATTEMPTS = 2  # then a transaction, which waits for its turn on a busy account instead of racing


@dataclass
class _Op:
    """A reserve, settle or refund waiting for its organisation's next transaction."""

    request_id: str
    kind: EntryKind
    amount_mc: int  # reserve: the amount to hold; settle: the actual cost; refund: 0
    day: str = ""  # reserve: the quota day it counts against
    now: datetime | None = None
    details: dict[str, Any] = field(default_factory=dict[str, Any])
    record: Recorder | None = None


@dataclass
class _Doc:
    """A document as this process last read or wrote it."""

    data: dict[str, Any] | None  # None: it does not exist
    update_time: Any  # Firestore's, for the write's precondition


class _Books:
    """An organisation's account, quota usage and reservations as read (by a transaction, or remembered), changed
    in memory by each call in turn, then written back together."""

    def __init__(
        self,
        repo: CreditsRepository,
        org_id: str,
        account: dict[str, Any] | None,
        usage: dict[str, int],
        reservations: dict[str, Any],
    ) -> None:
        self.repo, self.org_id = repo, org_id
        if account is None:
            raise NotFound(f"organisation {org_id!r} has no credits account")
        self.balance, self.quota = account["balance_mc"], account["daily_quota_mc"]
        self.usage, self.reservations = usage, reservations
        self.entries: list[LedgerEntry] = []
        self.changed_days: set[str] = set()
        self.changed_reservations: set[str] = set()
        self.records: list[tuple[firestore.DocumentReference, dict[str, Any]]] = []

    @staticmethod
    def days_of(ops: list[_Op]) -> list[str]:
        return sorted({op.day for op in ops if op.day} | {quota_day()})

    @classmethod
    def read(cls, repo: CreditsRepository, org_id: str, tx: firestore.Transaction, ops: list[_Op]) -> _Books:
        days = cls.days_of(ops)
        request_ids = sorted({op.request_id for op in ops})
        snaps = repo._read(
            tx,
            repo._account(org_id),
            *(repo._usage(org_id, day) for day in days),
            *(repo._reservation(org_id, rid) for rid in request_ids),
        )
        usage_snaps, reservation_snaps = snaps[1 : 1 + len(days)], snaps[1 + len(days) :]
        usage = {day: snap.get("used_mc") if snap.exists else 0 for day, snap in zip(days, usage_snaps, strict=True)}
        reservations = {snap.id: snap.to_dict() or {} for snap in reservation_snaps if snap.exists}
        # A reservation made before midnight and closed after it gives back to its own day's quota.
        if other_days := sorted({r["day"] for r in reservations.values() if r["status"] == "open"} - set(days)):
            for day, snap in zip(
                other_days, repo._read(tx, *(repo._usage(org_id, d) for d in other_days)), strict=True
            ):
                usage[day] = snap.get("used_mc") if snap.exists else 0
        account = snaps[0].to_dict() if snaps[0].exists else None
        return cls(repo, org_id, account, usage, reservations)

    @classmethod
    def known(cls, repo: CreditsRepository, org_id: str, known: dict[str, _Doc]) -> _Books:
        """From the documents this process knows (`known`: by path; a reservation it does not know is new)."""
        usage, reservations = {}, {}
        for path, doc in known.items():
            if doc.data is not None and "/usage/" in path:
                usage[doc.data["day"]] = doc.data["used_mc"]
            elif doc.data is not None and "/reservations/" in path:
                reservations[path.rsplit("/", 1)[1]] = dict(doc.data)
        usage = defaultdict(int, usage)
        return cls(repo, org_id, known[repo._account(org_id).path].data, usage, reservations)

    def apply(self, ops: list[_Op]) -> list[dict[str, Any] | Exception]:
        outcomes: list[dict[str, Any] | Exception] = []
        for op in ops:
            try:
                outcomes.append(self.reserve(op) if op.kind == EntryKind.reserve else self.close(op))
            except DomainError as exc:  # refuses this call only; the others of the batch go on
                outcomes.append(exc)
        return outcomes

    def reserve(self, op: _Op) -> dict[str, Any]:
        attempt = 1
        if (existing := self.reservations.get(op.request_id)) is not None:
            if existing["status"] != "refunded":  # open (being answered) or settled (answered): not again
                result: dict[str, Any] = existing | {"balance_mc": self.balance}
                return result
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
                f"needs up to {credits_text(op.amount_mc)}; an admin can top up by buying "
                "credits in the Credits tab (or POST /v1/billing/checkout)",
                balance_mc=self.balance,
                needed_mc=op.amount_mc,
            )
        entry = self._enter(op, EntryKind.reserve, -op.amount_mc, attempt=attempt)
        self._use(op.day, op.amount_mc)
        reservation = Reservation(request_id=op.request_id, amount_mc=op.amount_mc, status="open", attempt=attempt)
        self._keep(op.request_id, {**reservation.model_dump(), "day": op.day, "created_at": entry.created_at})
        return reservation.model_dump() | {"fresh": True, "balance_mc": self.balance}

    def close(self, op: _Op) -> dict[str, Any]:
        data: dict[str, Any] | None = self.reservations.get(op.request_id)
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
        closed: dict[str, Any] = self.reservations[op.request_id] | {"balance_mc": self.balance}
        if op.record is not None:
            self.records.append(op.record(Reservation(**closed)))
        return closed

    def _enter(
        self, op: _Op, kind: EntryKind, amount_mc: int, details: dict[str, Any] | None = None, attempt: int = 1
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

    def _keep(self, request_id: str, data: dict[str, Any]) -> None:
        self.reservations[request_id] = data
        self.changed_reservations.add(request_id)

    def write(self, tx: firestore.Transaction) -> None:
        repo, org = self.repo, self.org_id
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

    def commit_conditionally(self, client: firestore.Client, known: dict[str, _Doc]) -> None:
        """Write the changes in one batch, each on the condition that its document is as `known` says (same
        update time, or absent); then remember them as written. Raises FailedPrecondition, AlreadyExists or
        NotFound (and writes nothing) when one of them changed."""
        if not self.entries:  # nothing changed (retries of calls already closed)
            return
        repo, org, batch = self.repo, self.org_id, client.batch()
        written: list[tuple[str, dict[str, Any] | None]] = []  # in the order of the writes; None: not remembered

        def put(ref: firestore.DocumentReference, data: dict[str, Any], remember: bool = True) -> None:
            doc = known.get(ref.path)
            if doc is None or doc.data is None:
                batch.create(ref, data)
            else:  # the fields it no longer has are deleted: the document ends up exactly as `data`
                gone = {key: firestore.DELETE_FIELD for key in doc.data.keys() - data.keys()}
                batch.update(ref, data | gone, option=client.write_option(last_update_time=doc.update_time))
            written.append((ref.path, data if remember else None))

        account = known[repo._account(org).path].data or {}
        put(repo._account(org), account | {"balance_mc": self.balance, "updated_at": self.entries[-1].created_at})
        for entry in self.entries:
            batch.create(repo._entry(org, entry.id), entry.model_dump())
            written.append(("", None))
        for day in sorted(self.changed_days):
            put(repo._usage(org, day), {"day": day, "used_mc": self.usage[day]})
        for request_id in sorted(self.changed_reservations):
            data = self.reservations[request_id]
            put(repo._reservation(org, request_id), data, remember=data["status"] == "open")
        for ref, data in self.records:
            batch.set(ref, data)
        results = batch.commit()
        for (path, data), result in zip(written, results, strict=False):
            if path and data is not None:
                known[path] = _Doc(data, result.update_time)
            elif path:  # a closed reservation: read again if it is ever asked for
                known.pop(path, None)
