"""Buying credits: packs, checkout, purchases, tax invoices, statements and billing settings (admin; the packs
for merchants too). PayFast's notification is in `routes_payfast`."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import PlainTextResponse, Response
from pydantic import BaseModel, Field

from app.api.deps import Biller, CreditsViewer, ServicesDep
from app.api.errors import doc
from assistant.billing import views
from assistant.billing.autotopup import BillingSettingsRequest, configure
from assistant.billing.checkout import Checkout, checkout
from assistant.billing.documents import invoice_pdf, statement_csv, statement_pdf
from assistant.billing.models import Statement
from assistant.billing.packs import Pack
from assistant.billing.views import BillingSettingsView, InvoiceItem, PurchaseView

router = APIRouter(prefix="/v1/billing", tags=["billing"])
PDF = "application/pdf"


class CheckoutRequest(BaseModel):
    pack: str = Field(min_length=1, max_length=50, description="A pack id from GET /v1/billing/packs")
    save_card: bool = Field(False, description="Let PayFast keep the card as a token, for auto top-up")


@router.get("/packs", response_model=list[Pack], summary="Credit packs for sale", responses=doc(401, 403, 429))
def get_packs(principal: CreditsViewer, services: ServicesDep) -> list[Pack]:
    return views.list_packs(services, principal)


@router.post(
    "/checkout",
    response_model=Checkout,
    status_code=201,
    summary="Start buying a pack (admin)",
    description="Creates a pending purchase and answers the signed form that the buyer's browser posts to "
    "`process_url` (PayFast's payment page; the local sandbox in local mode). The credits are granted when "
    "PayFast's notification confirms the payment.",
    responses=doc(401, 403, 422, 429),
)
def post_checkout(body: CheckoutRequest, principal: Biller, services: ServicesDep) -> Checkout:
    return checkout(services, principal, body.pack, body.save_card)


@router.get(
    "/purchases/{purchase_id}",
    response_model=PurchaseView,
    summary="A purchase's status (admin)",
    responses=doc(401, 403, 404, 429),
)
def get_purchase(
    purchase_id: Annotated[str, Path(max_length=100)], principal: Biller, services: ServicesDep
) -> PurchaseView:
    return views.purchase(services, principal, purchase_id)


@router.get("/invoices", response_model=list[InvoiceItem], summary="Tax invoices (admin)", responses=doc(401, 403, 429))
def get_invoices(principal: Biller, services: ServicesDep) -> list[InvoiceItem]:
    return views.invoices(services, principal)


@router.get(
    "/invoices/{number}.pdf",
    response_class=Response,
    summary="A tax invoice as PDF (admin)",
    responses={200: {"content": {PDF: {}}}, **doc(401, 403, 404, 429)},
)
def get_invoice_pdf(number: Annotated[str, Path(max_length=30)], principal: Biller, services: ServicesDep) -> Response:
    found = views.invoice(services, principal, number)
    headers = {"Content-Disposition": f'inline; filename="{found.number}.pdf"'}
    return Response(invoice_pdf(found), media_type=PDF, headers=headers)


@router.get(
    "/statements/{month}",
    response_model=Statement,
    summary="A monthly statement (admin)",
    description="Opening balance, purchases, grants, usage by model, tool and API key, refunds and the closing "
    "balance of one SAST month, reconciled to the ledger. `format=csv` (safe to open in a spreadsheet) or "
    "`format=pdf`; JSON otherwise. A month that has not started is refused (422).",
    responses={200: {"content": {"text/csv": {}, PDF: {}}}, **doc(401, 403, 422, 429)},
)
def get_statement(
    month: Annotated[str, Path(max_length=7, description="YYYY-MM")],
    principal: Biller,
    services: ServicesDep,
    format: Annotated[Literal["json", "csv", "pdf"], Query(description="json, csv or pdf")] = "json",
) -> Response | Statement:
    found = views.statement(services, principal, month)
    name = f"fluxori-statement-{found.org_id}-{found.month}"
    if format == "csv":
        headers = {"Content-Disposition": f'attachment; filename="{name}.csv"'}
        return PlainTextResponse(statement_csv(found), media_type="text/csv", headers=headers)
    if format == "pdf":
        return Response(
            statement_pdf(found), media_type=PDF, headers={"Content-Disposition": f'inline; filename="{name}.pdf"'}
        )
    return found


@router.get(
    "/settings",
    response_model=BillingSettingsView,
    summary="VAT number and auto top-up (admin)",
    responses=doc(401, 403, 429),
)
def get_billing_settings(principal: Biller, services: ServicesDep) -> BillingSettingsView:
    return views.settings(services, principal)


@router.put(
    "/settings",
    response_model=BillingSettingsView,
    summary="Set the VAT number and auto top-up (admin)",
    description="`auto_topup`: when a question takes the balance under `threshold_credits`, the card saved by a "
    "purchase with `save_card` is charged for `pack`, once per crossing and at most a few times a month.",
    responses=doc(401, 403, 422, 429),
)
def put_billing_settings(body: BillingSettingsRequest, principal: Biller, services: ServicesDep) -> BillingSettingsView:
    return BillingSettingsView.of(configure(services, principal, body))
