"""The daily briefing: what needs the merchant's attention today, assembled from the repositories and the
planning service (so its figures are the tools' figures), for GET /v1/briefing, the chat's Today card and the
webhook (`assistant.application.webhooks`).

Sections, in this order (each always present, `items` empty when there is nothing to say):
- `stockouts`: reorder-plan rows that run out within their lead time (an order placed today arrives too late);
- `rebalance`: the rebalance plan's transfers;
- `late_orders`: paid orders (confirmed or picking) not shipped within the dispatch promise, counted from
  payment (the order's move to `confirmed`);
- `shipments`: import shipments not yet delivered whose ETA is within the next 7 days or has passed;
- `credits`: the balance and how many days it lasts at the average daily use of the last 7 days (today
  included).
The support loop's `unanswered` questions join when it exists. Every item has a one-line `text` and a `prompt`:
the message that starts the conversation about it; a section's `prompt` covers its items together.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Literal, Protocol

from pydantic import BaseModel, Field

from assistant.application.policy import Capability, check
from assistant.ports import Repositories
from assistant.settings import Settings
from domain.credits import SAST, as_credits
from domain.orders import CHANNEL_NAMES, Order, OrderStatus
from domain.orgs import Principal
from domain.store import utcnow
from domain.trade import Shipment, ShipmentStatus

if TYPE_CHECKING:  # the plans' rows are only read here (the planning service builds them)
    from assistant.planning.plans import ReorderRow, TransferSuggestion

# The dispatch promise: a paid order leaves the warehouse within two days of payment (docs/demo-facts.md).
DISPATCH_PROMISE = dt.timedelta(hours=48)
SHIPMENTS_DUE_DAYS = 7
CREDIT_BURN_DAYS = 7
DEFAULT_ITEMS = 10
MAX_ITEMS = 50
MAX_OPEN_ORDERS = 1000  # per status read for late orders: far beyond a day's open orders


class BriefingServices(Repositories, Protocol):
    @property
    def settings(self) -> Settings: ...


class Item(BaseModel):
    text: str = Field(description="The line as a person reads it")
    prompt: str = Field(description="The chat message that starts the conversation about this line")


class Section(BaseModel):
    title: str
    prompt: str = Field(description="The chat message about the section's items together ('' when none)")
    total: int = Field(description="How many lines there are in all; `items` holds the first `limit`")


class StockoutItem(Item):
    sku: str
    title: str
    warehouse: str
    available: int
    per_day: float
    days_of_cover: float | None
    stockout_date: dt.date | None
    lead_time_days: int
    suggested_quantity: int


class StockoutSection(Section):
    kind: Literal["stockouts"] = "stockouts"
    items: list[StockoutItem]


class RebalanceItem(Item):
    sku: str
    title: str
    source: str
    destination: str
    quantity: int
    source_cover_days_after: float | None
    destination_cover_days_before: float | None
    destination_cover_days_after: float | None


class RebalanceSection(Section):
    kind: Literal["rebalance"] = "rebalance"
    items: list[RebalanceItem]


class LateOrderItem(Item):
    number: int
    channel: str
    warehouse: str
    status: OrderStatus
    units: int
    paid_at: dt.datetime
    due_by: dt.datetime = Field(description="paid_at + the dispatch promise")
    hours_late: int


class LateOrderSection(Section):
    kind: Literal["late_orders"] = "late_orders"
    items: list[LateOrderItem]


class ShipmentItem(Item):
    id: str
    supplier: str
    origin_port: str
    destination_warehouse: str
    mode: str
    status: ShipmentStatus
    eta: dt.date
    days_late: int = Field(description="Days past the ETA (0 when not yet due)")
    days_to_eta: int = Field(description="Days until the ETA (negative when late)")
    units: int


class ShipmentSection(Section):
    kind: Literal["shipments"] = "shipments"
    items: list[ShipmentItem]


class CreditsItem(Item):
    balance: float = Field(description="Credits")
    average_daily_use: float = Field(description=f"Credits a day, over the last {CREDIT_BURN_DAYS} days")
    days_left: float | None = Field(description="balance / average_daily_use; null when nothing was used")


class CreditsSection(Section):
    kind: Literal["credits"] = "credits"
    items: list[CreditsItem]


BriefingSection = Annotated[
    StockoutSection | RebalanceSection | LateOrderSection | ShipmentSection | CreditsSection,
    Field(discriminator="kind"),
]


class Briefing(BaseModel):
    date: dt.date = Field(description="Today in SAST")
    generated_at: dt.datetime
    sections: list[BriefingSection]


def build(
    services: BriefingServices, principal: Principal, now: dt.datetime | None = None, limit: int = DEFAULT_ITEMS
) -> Briefing:
    """The caller's organisation's briefing."""
    check(principal, Capability.briefing)
    return briefing_for(services, principal.org_id, now, limit)


def briefing_for(
    services: BriefingServices, org_id: str, now: dt.datetime | None = None, limit: int = DEFAULT_ITEMS
) -> Briefing:
    """An organisation's briefing, by id: for the sender, which posts each organisation's to its own webhook."""
    now = now or utcnow()
    limit = max(1, min(limit, MAX_ITEMS))
    today = now.astimezone(SAST).date()
    sections: list[BriefingSection] = [
        stockouts(services.planning.reorder_plan(org_id).rows, today, limit),
        rebalance(services.planning.rebalance_plan(org_id).moves, limit),
        late_orders(_paid_unshipped(services, org_id), now, limit),
        shipments(services.shipments.list(org_id), today, limit),
        credits(as_credits(services.credits.account(org_id).balance_mc), _burn(services, org_id)),
    ]
    return Briefing(date=today, generated_at=now, sections=sections)


def _days(value: float | None) -> str:
    return "no sales" if value is None else f"{value:.0f} day{'' if round(value) == 1 else 's'}"


def _rate(per_day: float) -> str:
    """Units a day, to two significant figures for slow sellers (0.04, not 0.0)."""
    if 0 < per_day < 0.01:
        return "under 0.01"
    return f"{per_day:.0f}" if per_day >= 10 else f"{per_day:.1f}" if per_day >= 1 else f"{per_day:.2f}"


def _runs_out(row: ReorderRow) -> str:
    if row.available <= 0:
        return "out of stock"
    return f"{row.available} available, runs out about {row.stockout_date} (in {_days(row.days_of_cover)})"


def stockouts(rows: list[ReorderRow], today: dt.date, limit: int) -> StockoutSection:
    """The rows that sell and run out before an order placed today arrives (today + lead time): the reorder
    plan's own test of a stockout within lead time."""
    due = sorted(
        (
            r
            for r in rows
            if r.per_day > 0
            and r.stockout_date is not None
            and r.stockout_date <= today + dt.timedelta(days=r.lead_time_days)
        ),
        key=lambda r: (r.stockout_date or dt.date.max, r.sku, r.warehouse),
    )
    items = [
        StockoutItem(
            text=f"{r.sku} {r.title} ({r.warehouse}): {_runs_out(r)}, {_rate(r.per_day)} a day, lead time "
            f"{r.lead_time_days} days; suggested order {r.suggested_quantity}",
            prompt=f"When will we run out of {r.sku} in {r.warehouse}?",
            sku=r.sku,
            title=r.title,
            warehouse=r.warehouse,
            available=r.available,
            per_day=r.per_day,
            days_of_cover=r.days_of_cover,
            stockout_date=r.stockout_date,
            lead_time_days=r.lead_time_days,
            suggested_quantity=r.suggested_quantity,
        )
        for r in due[:limit]
    ]
    skus = list(dict.fromkeys(item.sku for item in items))
    # Without the list: the plan answers for every product that needs an order (these among them), and a list of
    # SKUs reads to the offline model like a batch of reorder points to set.
    prompt = f"Plan reorders for these {len(skus)}" if skus else ""
    return StockoutSection(title="Stockouts expected within lead time", prompt=prompt, total=len(due), items=items)


def _move_text(m: TransferSuggestion) -> str:
    left = m.source_cover_days_after
    source = f"{m.source} sells none of it" if left is None else f"{m.source} keeps {_days(left)}"
    return (
        f"Move {m.quantity} x {m.sku} {m.title} from {m.source} to {m.destination}: {m.destination} cover "
        f"{_days(m.destination_cover_days_before)} -> {_days(m.destination_cover_days_after)}, {source}"
    )


def rebalance(moves: list[TransferSuggestion], limit: int) -> RebalanceSection:
    items = [
        RebalanceItem(
            text=_move_text(m),
            prompt=f"Transfer {m.quantity} units of {m.sku} from {m.source} to {m.destination}",
            sku=m.sku,
            title=m.title,
            source=m.source,
            destination=m.destination,
            quantity=m.quantity,
            source_cover_days_after=m.source_cover_days_after,
            destination_cover_days_before=m.destination_cover_days_before,
            destination_cover_days_after=m.destination_cover_days_after,
        )
        for m in moves[:limit]
    ]
    prompt = "Suggest rebalancing transfers between the warehouses" if moves else ""
    return RebalanceSection(title="Rebalancing transfers", prompt=prompt, total=len(moves), items=items)


def _paid_unshipped(services: BriefingServices, org_id: str) -> list[Order]:
    found: list[Order] = []
    for status in (OrderStatus.confirmed, OrderStatus.picking):
        found += services.orders.list(org_id, status=status, limit=MAX_OPEN_ORDERS)
    return found


def paid_at(order: Order) -> dt.datetime:
    """When the order was paid: its move to `confirmed` (its creation when the history does not say)."""
    return next((c.at for c in order.history if c.status == OrderStatus.confirmed), order.created_at)


def late_orders(orders: list[Order], now: dt.datetime, limit: int) -> LateOrderSection:
    late = sorted((o for o in orders if now - paid_at(o) > DISPATCH_PROMISE), key=lambda o: (paid_at(o), o.number))
    promise_hours = int(DISPATCH_PROMISE.total_seconds() // 3600)
    items = []
    for order in late[:limit]:
        paid = paid_at(order)
        hours = int((now - paid - DISPATCH_PROMISE).total_seconds() // 3600)
        channel = CHANNEL_NAMES.get(order.channel, order.channel.value)
        items.append(
            LateOrderItem(
                text=f"Order {order.number} ({channel}, {order.warehouse}, {order.status.value}): paid "
                f"{paid.astimezone(SAST):%d %b %H:%M}, {hours} h past the {promise_hours} h dispatch promise",
                prompt=f"Show order {order.number}",
                number=order.number,
                channel=order.channel.value,
                warehouse=order.warehouse,
                status=order.status,
                units=order.units,
                paid_at=paid,
                due_by=paid + DISPATCH_PROMISE,
                hours_late=hours,
            )
        )
    statuses = sorted({o.status.value for o in late})
    prompt = f"List {' and '.join(statuses)} orders" if late else ""
    return LateOrderSection(title="Paid orders late to ship", prompt=prompt, total=len(late), items=items)


def shipments(found: list[Shipment], today: dt.date, limit: int) -> ShipmentSection:
    horizon = today + dt.timedelta(days=SHIPMENTS_DUE_DAYS)
    due = sorted(
        (s for s in found if s.status != ShipmentStatus.delivered and s.eta <= horizon), key=lambda s: (s.eta, s.id)
    )
    items = []
    for s in due[:limit]:
        days_to_eta = (s.eta - today).days
        when = (
            f"{-days_to_eta} days late"
            if days_to_eta < 0
            else "due today"
            if days_to_eta == 0
            else f"due in {days_to_eta} day{'' if days_to_eta == 1 else 's'}"
        )
        items.append(
            ShipmentItem(
                text=f"{s.id} from {s.origin_port} ({s.supplier}, {s.mode}, {s.status.value.replace('_', ' ')}) to "
                f"{s.destination_warehouse}: {when} (ETA {s.eta})",
                prompt=f"Where is shipment {s.id} now?",
                id=s.id,
                supplier=s.supplier,
                origin_port=s.origin_port,
                destination_warehouse=s.destination_warehouse,
                mode=s.mode,
                status=s.status,
                eta=s.eta,
                days_late=max(0, -days_to_eta),
                days_to_eta=days_to_eta,
                units=sum(line.quantity for line in s.lines),
            )
        )
    prompt = "Show import shipments" if due else ""
    return ShipmentSection(title="Shipments due this week or late", prompt=prompt, total=len(due), items=items)


def _burn(services: BriefingServices, org_id: str) -> float:
    """Average credits a day over the last CREDIT_BURN_DAYS SAST days, today included."""
    used_mc = sum(services.credits.daily_usage(org_id, days=CREDIT_BURN_DAYS).values())
    return as_credits(used_mc) / CREDIT_BURN_DAYS


def credits(balance: float, per_day: float) -> CreditsSection:
    days_left = round(balance / per_day, 1) if per_day > 0 else None
    if days_left is None:
        text = f"{balance:,.3f}".rstrip("0").rstrip(".") + f" credits; none used in the last {CREDIT_BURN_DAYS} days"
    else:
        text = (
            f"{balance:,.3f}".rstrip("0").rstrip(".")
            + f" credits: about {days_left:g} days at {per_day:.2f} a day (last {CREDIT_BURN_DAYS} days)"
        )
    item = CreditsItem(
        text=text,
        prompt="How many credits do we have left?",
        balance=balance,
        average_daily_use=round(per_day, 3),
        days_left=days_left,
    )
    return CreditsSection(title="AI credits", prompt=item.prompt, total=1, items=[item])
