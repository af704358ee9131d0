"""A finished chat turn in the process's metrics (`domain.metrics`): its latency and time to first token, tokens
and credits by model, its tool calls by tool and outcome, and whether the help centre had no answer."""

from __future__ import annotations

from assistant.contracts import ChatResponse
from assistant.tools import SEARCH_KNOWLEDGE_BASE
from domain.metrics import CREDITS_USED, MODEL_TOKENS, NOT_FOUND, TIME_TO_FIRST_TOKEN, TOOL_CALLS, TURN_DURATION

TOOL_OUTCOME = {"executed": "ok", "refused": "failed"}  # proposed or rejected changes are not calls that ran


def observe_turn(response: ChatResponse, model: str, surface: str, seconds: float, first_token: float) -> None:
    """`first_token`: seconds to the first answer token (a turn answered without streaming: to its answer)."""
    TURN_DURATION.labels(model=model).observe(seconds)
    TIME_TO_FIRST_TOKEN.labels(model=model).observe(first_token)
    MODEL_TOKENS.labels(model=model, direction="input").inc(response.usage.input_tokens)
    MODEL_TOKENS.labels(model=model, direction="output").inc(response.usage.output_tokens)
    CREDITS_USED.labels(model=model).inc(response.usage.credits_charged)
    for action in response.actions:
        if (outcome := TOOL_OUTCOME.get(action.status)) is not None:
            TOOL_CALLS.labels(tool=action.tool, outcome=outcome).inc()
        searched_help = action.tool == SEARCH_KNOWLEDGE_BASE.tool.name and isinstance(action.result, dict)
        if searched_help and action.result.get("found") is False and action.args.get("doc_type", "kb") == "kb":
            NOT_FOUND.labels(surface=surface).inc()
