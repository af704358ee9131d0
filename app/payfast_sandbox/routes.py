"""The sandbox's routes, under SANDBOX_PREFIX: PayFast's process page, validate endpoint and ad hoc charge API,
plus `_deliveries`, the record of every ITN attempt that tests read. Every route is `async` and cheap (the
deliveries run in threads of their own), because the service calls validate while it handles an ITN."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response

from app.payfast_sandbox.checks import api_problem, charge_problem, checkout_problems
from app.payfast_sandbox.core import ACTIONS, Sandbox
from app.payfast_sandbox.delivery import Deliverer, NotifyClientFactory, default_notify_client
from app.payfast_sandbox.ledger import Ledger
from app.payfast_sandbox.pages import finished_page, process_page, refusal_page
from assistant.billing.payfast import amount_cents
from assistant.billing.settings import SANDBOX_PREFIX, BillingSettings


async def _posted(request: Request) -> tuple[list[tuple[str, str]], list[str]]:
    """The checkout's fields (the query of a GET, the form of a POST), and what is wrong with their shape."""
    if request.method == "GET":
        pairs = list(request.query_params.multi_items())
    else:
        form = await request.form()
        items = form.multi_items()
        pairs = [(key, value) for key, value in items if isinstance(value, str)]
        if len(pairs) < len(items):
            return pairs, ["the checkout is form fields, not files"]
    keys = [key for key, _ in pairs]
    twice = sorted({key for key in keys if keys.count(key) > 1})
    return pairs, [f"{key} is posted more than once" for key in twice]


async def _api_body(request: Request) -> dict[str, str] | None:
    """The ad hoc charge's body, JSON or form fields, as text (the signature is over text); None if neither."""
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            data: Any = json.loads(await request.body() or b"{}")
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
        if not all(isinstance(v, str | int) and not isinstance(v, bool) for v in data.values()):
            return None
        return {str(key): str(value) for key, value in data.items()}
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


def _api_answer(code: int, message: str, **extra: str) -> JSONResponse:
    """PayFast's API envelope: `response` is true on success, the reason on failure."""
    ok = code == 200
    data = {"response": True if ok else message, "message": message if ok else False} | extra
    return JSONResponse({"code": code, "status": "success" if ok else "failed", "data": data}, status_code=code)


def sandbox_router(
    settings: BillingSettings,
    notify_client_factory: NotifyClientFactory = default_notify_client,
    *,
    first_retry_seconds: float = 1.0,
    max_attempts: int = 10,
) -> APIRouter:
    """A PayFast stand-in kept in this process's memory; `notify_client_factory` is called once per ITN
    delivery and what it returns is closed afterwards."""
    ledger = Ledger()
    deliverer = Deliverer(
        ledger, notify_client_factory, first_retry_seconds=first_retry_seconds, max_attempts=max_attempts
    )
    sandbox = Sandbox(settings, ledger, deliverer)
    # Out of the OpenAPI schema: it is PayFast's interface, not ours, and schema-driven fuzzing must not pay.
    router = APIRouter(prefix=SANDBOX_PREFIX, include_in_schema=False)

    @router.api_route("/eng/process", methods=["GET", "POST"])
    async def process(request: Request) -> Response:
        pairs, problems = await _posted(request)
        values = dict(pairs)
        action = values.pop("action", "").strip()
        signature = values.pop("signature", "")
        problems += checkout_problems(values, signature, sandbox.merchant_id, sandbox.merchant_key, sandbox.passphrase)
        if action and action not in ACTIONS:
            problems.append(f"action must be one of {', '.join(ACTIONS)}")
        if action and request.method != "POST":
            problems.append("a payment is completed by a POST, as the Pay and Cancel buttons send it")
        if problems:
            return HTMLResponse(refusal_page(problems), status_code=400)
        if not action:
            cents = amount_cents(values["amount"]) or 0
            fields = [*values.items(), ("signature", signature)]
            description = values.get("item_description", "")
            page = process_page(fields, values["item_name"], description, cents, request.url.path)
            return HTMLResponse(page)
        payment = sandbox.complete_checkout(values, action)
        back = values.get("return_url" if payment.payment_status == "COMPLETE" else "cancel_url", "").strip()
        if back:
            return RedirectResponse(back, status_code=303)
        return HTMLResponse(finished_page(payment.payment_status))

    @router.post("/eng/query/validate")
    async def validate(request: Request) -> PlainTextResponse:
        param_string = (await request.body()).decode("utf-8", errors="replace")
        return PlainTextResponse("VALID" if ledger.was_sent(param_string) else "INVALID")

    @router.post("/subscriptions/{token}/adhoc")
    async def adhoc(token: str, request: Request) -> JSONResponse:
        body = await _api_body(request)  # `?testing=true` (PayFast's sandbox switch) changes nothing here
        if body is None:
            return _api_answer(400, "the body must be a JSON object of strings and integers, or form fields")
        refused = api_problem(request.headers, body, sandbox.merchant_id, sandbox.passphrase)
        if refused:
            return _api_answer(*refused)
        owner = ledger.token_owner(token)
        if owner is None or owner.merchant_id != sandbox.merchant_id:
            return _api_answer(404, "Subscription not found: no ad hoc agreement has this token")
        problem = charge_problem(body)
        if problem:
            return _api_answer(400, problem)
        payment = sandbox.charge_token(token, owner.notify_url, body)
        return _api_answer(200, "Transaction was successful(00)", pf_payment_id=payment.pf_payment_id)

    @router.get("/_deliveries")
    async def deliveries() -> JSONResponse:
        return JSONResponse(ledger.deliveries())

    return router
