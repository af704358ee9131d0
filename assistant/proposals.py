"""Validated proposals: a write the model proposes is checked against the current data before the user is asked
to confirm it (every model provider goes through this). A write that cannot succeed (not enough stock, an order
status that does not allow the change, an unknown or ambiguous product) is replaced by the reason, with the figures
from the data, and no confirmation is opened; one that can has its product and warehouses resolved to the SKU and
codes, so that what the user confirms is exactly what will run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langchain.agents.middleware import AgentMiddleware, AgentState, ModelRequest, ModelResponse
from langchain_core.messages import AIMessage

from assistant.tools import AgentContext, spec_of


class ValidateProposals(AgentMiddleware[AgentState, AgentContext, Any]):
    def wrap_model_call(
        self, request: ModelRequest[AgentContext], handler: Callable[[ModelRequest[AgentContext]], ModelResponse]
    ) -> Any:
        response = handler(request)
        message = next((m for m in reversed(response.result) if isinstance(m, AIMessage)), None)
        specs = [spec_of(call["name"]) for call in message.tool_calls] if message is not None else []
        if message is None or not any(spec and spec.writes for spec in specs):
            return response
        calls, problems = [], []
        for call, spec in zip(message.tool_calls, specs, strict=True):
            if spec is None or not spec.writes:
                calls.append(call)
                continue
            args, problem = spec.check(call["args"], request.runtime.context)
            if problem:
                problems.append(problem)
            calls.append({**call, "args": args})
        if problems:
            reply = AIMessage(content="\n\n".join(problems), id=message.id, usage_metadata=message.usage_metadata)
        else:
            reply = message.model_copy(update={"tool_calls": calls})
        return ModelResponse(result=[reply], structured_response=response.structured_response)
