"""One record per tool (`ToolSpec`): its name and LangChain tool (the argument schema comes from it), the labels
that the UI and the offline model show, and, for a write, how it is checked against the current data before a
confirmation, how it is described on the confirmation card and which documents it re-indexes once it ran.

A write's `validate` gets a copy of the proposed arguments and hands them on with the product and warehouses
resolved to the SKU and codes; `describe` then reads those (it never resolves a name again).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from langchain_core.tools import BaseTool

from assistant.tools.context import AgentContext, ProductNotResolved
from domain.errors import DomainError

Args = dict[str, Any]
Validate = Callable[[Args, AgentContext], tuple[Args, str | None]]
Describe = Callable[[Args, AgentContext], str]
Reindex = Callable[[Args, Any], list[str]]  # (arguments that ran, the tool's result data) -> doc ids


@dataclass(frozen=True)
class ToolSpec:
    tool: BaseTool
    label: str  # what it does, as the offline model offers it ("do you want a stock transfer or ...?")
    running: str  # the UI's chip while it runs...
    done: str  # ...and once it ran; a write names the change, because it may not have happened
    writes: bool = False  # a write only runs once the user confirms it
    validate: Validate | None = None
    describe: Describe | None = None
    reindex: Reindex | None = None

    @property
    def name(self) -> str:
        return self.tool.name

    def check(self, args: Args, ctx: AgentContext) -> tuple[Args, str | None]:
        """(args resolved, None) when the write can go ahead, or (args, why not) when it cannot: not enough stock,
        a status change the order does not allow, an unknown or ambiguous product. The domain checks again when
        the write runs; this only spares the user a pointless confirmation."""
        proposed = dict(args)
        if self.validate is None:
            return proposed, None
        try:
            return self.validate(proposed, ctx)
        except ProductNotResolved as exc:
            return proposed, exc.message[0].upper() + exc.message[1:]
        except ValueError:
            status = proposed.get("status")
            return proposed, f"{status!r} is not an order status; use confirmed, picking, shipped or delivered."
        except (DomainError, KeyError, TypeError) as exc:
            return proposed, f"I can't propose that: {getattr(exc, 'message', exc)}."

    def summary(self, args: Args, ctx: AgentContext) -> str:
        """What the write will change, in words, from the current data (the confirmation card)."""
        plain = f"{self.name} with {json.dumps(args)}"
        if self.describe is None:
            return plain
        try:
            return self.describe(args, ctx)
        except (DomainError, KeyError, ValueError, TypeError) as exc:
            return f"{plain} (note: {getattr(exc, 'message', exc)})"

    def documents(self, args: Args, result: Any) -> list[str]:
        """The search documents to refresh after the write ran (none for a read)."""
        return self.reindex(args, result) if self.reindex else []
