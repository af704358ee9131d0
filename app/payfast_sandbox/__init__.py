"""A local PayFast sandbox that speaks PayFast's protocol, so checkout, ITN, validation and ad hoc token charges
run offline: `fluxori serve` mounts `sandbox_router(settings)` in local mode, where `settings.site` and
`settings.api` point at it. Its state lives in process memory and is gone on restart, like a test account's.

    ledger    payments, tokens, sent ITNs and delivery attempts, behind one lock
    itn       the ITN's fields in PayFast's order, the fee and the signature
    delivery  the POST to notify_url in a thread, retried with backoff until a 200
    checks    what PayFast refuses: checkout fields, signatures, API authentication
    core      the merchant account that completes checkouts and charges tokens
    pages     the hosted payment page and its refusals (HTML)
    routes    the APIRouter
"""

from app.payfast_sandbox.routes import sandbox_router

__all__ = ["sandbox_router"]
