"""The organisation's AI credits."""

from __future__ import annotations

from langchain.tools import tool

from assistant.tools.context import Result, Runtime, ok
from assistant.tools.spec import ToolSpec
from domain.credits import credits_text


@tool(response_format="content_and_artifact")
def credits_balance(runtime: Runtime) -> Result:
    """The organisation's AI credits: balance, daily quota and what was used today."""
    ctx = runtime.context
    account = ctx.services.credits.account(ctx.org_id)
    return ok(
        {
            "balance": credits_text(account.balance_mc),
            "daily_quota": credits_text(account.daily_quota_mc),
            "used_today": credits_text(account.used_today_mc),
        }
    )


CREDITS_BALANCE = ToolSpec(
    credits_balance, label="your AI credits", running="Checking AI credits", done="Checked AI credits"
)
