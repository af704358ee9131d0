"""The daily billing export: one SAST day's charges and grants, every organisation, as NDJSON rows that BigQuery
reads (terraform/: an external table over the billing bucket, joined with Google's billing export on the
`org_id` label of Vertex AI calls to give cost and margin per organisation)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

from assistant.billing.ports import BillingServices
from domain.credits import MC_PER_CREDIT, SAST, EntryKind, LedgerEntry, as_credits
from domain.store import utcnow
from domain.uploads import UploadStore

RAND_PER_CREDIT = 0.10  # the list rate; the price list's packs may give a bonus on top
EXPORT_FILE = "ledger.ndjson"
MAX_ENTRIES = 200_000


def yesterday(now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(SAST).date() - timedelta(days=1)


def partition(day: date) -> str:
    """The Hive-style folder of a day (the external table is partitioned on it)."""
    return f"ledger/day={day.isoformat()}/"


def row(org_id: str, entry: LedgerEntry) -> dict[str, Any] | None:
    """One entry as a row; the day is the file's folder (`partition`), never a column: BigQuery's Hive
    partitioning refuses a key that is in the files too."""
    details = entry.details or {}
    if entry.kind == EntryKind.settle:
        credits_mc = int(details.get("charged_mc", 0))
    elif entry.kind == EntryKind.grant:
        credits_mc = entry.amount_mc
    else:  # reservations and their refunds hold credits; they charge nothing
        return None
    return {
        "org_id": org_id,
        "entry_id": entry.id,
        "kind": entry.kind.value,
        "at": entry.created_at.isoformat(),
        "request_id": entry.request_id,
        "key_id": str(details.get("key_id", "")),
        "model": str(details.get("model", "")),
        "tools": [str(tool) for tool in details.get("tools", [])],
        "tool_calls": int(details.get("tool_calls", 0)),
        "input_tokens": int(details.get("input_tokens", 0)),
        "output_tokens": int(details.get("output_tokens", 0)),
        "credits_mc": credits_mc,
        "credits": as_credits(credits_mc),
        "rand_value": round(credits_mc / MC_PER_CREDIT * RAND_PER_CREDIT, 4),
    }


def rows(services: BillingServices, org_ids: list[str], day: date) -> Iterator[dict[str, Any]]:
    start = datetime(day.year, day.month, day.day, tzinfo=SAST)
    for org_id in sorted(org_ids):
        entries = services.credits.ledger(org_id, limit=MAX_ENTRIES, since=start, until=start + timedelta(days=1))
        for entry in sorted(entries, key=lambda e: e.created_at):
            if (found := row(org_id, entry)) is not None:
                yield found


def export_day(services: BillingServices, org_ids: list[str], day: date, sink: UploadStore) -> int:
    """Write the day's rows as one file (replacing an earlier export of that day: re-running is safe)."""
    lines = [json.dumps(r, ensure_ascii=False) for r in rows(services, org_ids, day)]
    sink.write(EXPORT_FILE, io.BytesIO(("\n".join(lines) + ("\n" if lines else "")).encode()))
    return len(lines)
