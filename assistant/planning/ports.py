"""The planning service as its callers use it (the tools, the briefing): `app.wiring.Services.planning`."""

from __future__ import annotations

from typing import Protocol

from assistant.planning.plans import RebalancePlan, ReorderPlan, StockoutRow


class Planner(Protocol):
    def reorder_plan(
        self, org_id: str, weeks: int = ..., warehouse: str | None = ..., skus: list[str] | None = ...
    ) -> ReorderPlan: ...

    def rebalance_plan(self, org_id: str, sku: str | None = ...) -> RebalancePlan: ...

    def stockout_forecast(self, org_id: str, sku: str, warehouse: str | None = ...) -> list[StockoutRow]: ...
