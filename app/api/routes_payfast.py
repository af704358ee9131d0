"""What PayFast and the buyer's browser reach without an API key: the payment notification (ITN), and the page
the buyer returns to, which waits for the payment and then shows the credits added.

The return page is reached by the purchase id alone (a random 128-bit id that only the buyer's browser was
given), and it shows only the purchase's status and credits: never a balance or anything else of the account.
"""

from __future__ import annotations

import html
from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, PlainTextResponse
from pydantic import BaseModel

from app.api.deps import ServicesDep
from app.api.errors import ApiError, doc
from assistant.billing import notifications
from assistant.billing.checkout import NOTIFY_PATH, RETURN_PATH
from domain.credits import as_credits
from domain.errors import NotFound

router = APIRouter(tags=["billing"])


@router.post(
    NOTIFY_PATH,
    summary="PayFast's payment notification (ITN)",
    description="Called by PayFast, form-encoded, without an API key. Checked in PayFast's order (source address, "
    "signature, merchant, amount, server confirmation) before anything is granted; a repeat does nothing. 200 "
    "once recorded; 400/403/404 with the reason when refused; 503 when PayFast could not confirm it yet.",
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}, **doc(400, 403, 404, 503)},
)
async def payfast_notify(request: Request, services: ServicesDep) -> PlainTextResponse:
    body = (await request.body()).decode("utf-8", errors="replace")
    posted = parse_qsl(body, keep_blank_values=True)  # the posted order matters: the signature is over it
    settings = services.billing_settings
    peer = request.client.host if request.client else ""
    source = notifications.client_address(peer, request.headers.get("x-forwarded-for", ""), settings.trusted_proxy_hops)
    outcome = await notifications.receive(services, posted, source)
    if outcome.status_code == 200:
        return PlainTextResponse("OK")
    code = {400: "payment_rejected", 403: "forbidden", 404: "not_found", 503: "unavailable"}[outcome.status_code]
    headers = {"Retry-After": "30"} if outcome.status_code == 503 else None
    raise ApiError(outcome.status_code, code, outcome.reason, headers)


class ReturnStatus(BaseModel):
    status: str
    credits: float
    reason: str


def _status(services: ServicesDep, purchase_id: str) -> ReturnStatus:
    org_id = services.purchases.org_of(purchase_id)
    if org_id is None:
        raise NotFound("there is no such purchase")
    found = services.purchases.get(org_id, purchase_id)
    return ReturnStatus(status=found.status, credits=as_credits(found.credits_mc), reason=found.reason)


@router.get(f"{RETURN_PATH}/{{purchase_id}}/status", response_model=ReturnStatus, include_in_schema=False)
def return_status(purchase_id: Annotated[str, Path(max_length=100)], services: ServicesDep) -> ReturnStatus:
    return _status(services, purchase_id)


@router.get(f"{RETURN_PATH}/{{purchase_id}}", response_class=HTMLResponse, include_in_schema=False)
def return_page(
    purchase_id: Annotated[str, Path(max_length=100)], services: ServicesDep, cancelled: int = 0
) -> HTMLResponse:
    _status(services, purchase_id)  # 404 for an unknown purchase
    return HTMLResponse(
        RETURN_HTML.replace("{PURCHASE}", html.escape(purchase_id)).replace("{CANCELLED}", str(bool(cancelled)).lower())
    )


RETURN_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Fluxori: your payment</title>
<style>
 body { font-family: system-ui, sans-serif; max-width: 36rem; margin: 3rem auto; padding: 0 1rem; line-height: 1.5;
        color: #1f2937; }
 h1 { font-size: 1.5rem; } .box { border: 1px solid #d1d5db; border-radius: .5rem; padding: 1rem 1.25rem; }
 a.button { display: inline-block; margin-top: 1rem; padding: .75rem 1.25rem; background: #1d4ed8; color: #fff;
            border-radius: .375rem; text-decoration: none; font-weight: 600; }
</style></head>
<body><h1>Your payment</h1>
<div class="box" role="status" aria-live="polite" id="payment-status">
 Waiting for payment confirmation from PayFast…</div>
<a class="button" href="/ui/" id="back-to-fluxori">Back to Fluxori</a>
<script>
const purchase = "{PURCHASE}", cancelled = {CANCELLED};
const box = document.getElementById("payment-status");
const words = {
  complete: c => `Payment received: ${c.toLocaleString("en-US")} credits were added. `
    + "Your invoice is in the Credits tab.",
  cancelled: () => "The payment was cancelled; nothing was charged.",
  failed: () => "The payment failed; nothing was charged.",
  rejected: (c, r) => `The payment could not be accepted: ${r}`,
};
let tries = 0;
async function poll() {
  tries += 1;
  try {
    const answer = await fetch(`/billing/return/${purchase}/status`);
    if (answer.ok) {
      const s = await answer.json();
      if (words[s.status]) {
        box.textContent = words[s.status](s.credits, s.reason);
        box.dataset.status = s.status;
        return;
      }
    }
  } catch (e) { /* the next try may reach it */ }
  if (cancelled && tries > 3) { box.textContent = words.cancelled(); box.dataset.status = "cancelled"; return; }
  if (tries < 120) setTimeout(poll, 1000);
  else box.textContent = "PayFast has not confirmed the payment yet. The Credits tab shows it when it does.";
}
poll();
</script></body></html>
"""
