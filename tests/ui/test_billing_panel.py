"""The billing part of the Credits tab without a browser: what it shows (packs, banner, the PayFast form, invoices,
purchases), and its handlers against the demo data on the Firestore emulator: roles, the low-balance banner for
merchants and admins, a checkout that leaves a pending purchase and a form with PayFast's fields only, an invoice
as PDF, and failures as messages."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import gradio as gr
import pytest

import ui.billing_panel
import ui.billing_views
from app.wiring import Services
from assistant.billing import views
from assistant.billing.checkout import Checkout
from assistant.billing.packs import Pack
from assistant.billing.views import InvoiceItem, PurchaseView
from assistant.settings import Settings
from domain.demo import seed
from domain.emulator import FirestoreEmulator
from domain.purchases import Invoice, Party
from domain.store import Store, make_client
from ui.billing_panel import BillingPanel
from ui.billing_views import banner_text, checkout_html, invoices_html, pack_label, purchases_html, status_text
from ui.credits_tab import CreditsTab
from ui.session import start_session

ADMIN, MERCHANT, SUPPORT = "fx_demo_bergveld_admin", "fx_demo_bergveld_merchant", "fx_demo_bergveld_support"
GROWTH = Pack(id="growth", credits=5500, price_cents=50000, vat_cents=7500, total_cents=57500)
AT = datetime(2025, 3, 1, 10, 30, tzinfo=UTC)  # 12:30 SAST


def purchase_view(status: str, reason: str = "", invoice: str = "") -> PurchaseView:
    return PurchaseView(
        purchase_id="p1",
        status=status,  # type: ignore[arg-type]
        reason=reason,
        pack="growth",
        credits=5500,
        total_cents=57500,
        invoice_number=invoice,
        created_at=AT,
        updated_at=AT,
    )


# What the page shows ---------------------------------------------------------------------------------------------
def test_a_pack_reads_as_credits_price_vat_and_total_in_rand() -> None:
    assert pack_label(GROWTH) == "5,500 credits: R500.00 + VAT R75.00 = R575.00"
    scale = Pack(id="scale", credits=24000, price_cents=200000, vat_cents=30000, total_cents=230000)
    assert pack_label(scale) == "24,000 credits: R2,000.00 + VAT R300.00 = R2,300.00"


def test_the_banner_tells_merchants_to_ask_and_admins_to_buy() -> None:
    assert banner_text(42_500, admin=False) == "**Low balance:** 42.5 credits left. Ask your admin to buy credits."
    assert banner_text(0, admin=True) == "**Low balance:** 0 credits left. Buy credits below."


def test_the_payfast_form_posts_every_field_hidden_and_escaped() -> None:
    order = Checkout(
        purchase_id="p1",
        m_payment_id="p1",
        process_url="http://127.0.0.1:8080/_sandbox/payfast/eng/process",
        fields={"merchant_id": "10000100", "item_name": 'Fluxori "AI" <credits> & more', "signature": "abc"},
    )
    html = checkout_html(order, GROWTH)
    assert '<form id="payfast-form" method="post" action="http://127.0.0.1:8080/_sandbox/payfast/eng/process">' in html
    assert '<input type="hidden" name="merchant_id" value="10000100">' in html
    assert 'value="Fluxori &quot;AI&quot; &lt;credits&gt; &amp; more"' in html and "<credits>" not in html
    assert '<button type="submit" id="continue-to-payfast">Continue to PayFast</button>' in html
    assert "5,500 credits for R575.00 (VAT included)" in html


def test_invoices_list_number_date_description_and_total_escaped() -> None:
    item = InvoiceItem(
        number="INV-000007",
        issued_at=datetime(2025, 2, 28, 23, 0, tzinfo=UTC),  # already 1 March in SAST
        description="Fluxori AI credits: <b>5,500</b>",
        credits=5500,
        price_cents=50000,
        vat_cents=7500,
        total_cents=57500,
        pdf_url="/v1/billing/invoices/INV-000007.pdf",
    )
    html = invoices_html([item])
    assert '<td data-label="Number">INV-000007</td><td data-label="Date">2025-03-01</td>' in html
    assert '<td class="fx-num" data-label="Total">R575.00</td>' in html
    assert "&lt;b&gt;5,500&lt;/b&gt;" in html and "<b>" not in html
    assert "No tax invoices yet" in invoices_html([])


@pytest.mark.parametrize(
    ("status", "reason", "invoice", "shown"),
    [
        ("pending", "", "", "pending: waiting for PayFast"),
        ("complete", "", "INV-000001", "complete, invoice INV-000001"),
        ("failed", "", "", "failed: nothing was charged"),
        ("failed", "card declined", "", "failed: card declined"),
        ("cancelled", "", "", "cancelled: nothing was charged"),
        ("rejected", "amount_gross 1.00 is not the purchase's 575.00", "", "rejected: amount_gross 1.00 is not"),
    ],
)
def test_each_purchase_status_reads_in_words_with_its_reason(status, reason, invoice, shown) -> None:
    assert status_text(purchase_view(status, reason, invoice)).startswith(shown)


def test_purchases_show_time_in_sast_credits_total_and_an_escaped_reason() -> None:
    html = purchases_html([purchase_view("rejected", "<script>x</script>")])
    assert '<td data-label="Started (SAST)">2025-03-01 12:30</td>' in html
    assert '<td class="fx-num" data-label="Credits">5,500</td>' in html and "R575.00" in html
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert "No purchases yet" in purchases_html([])


# The handlers ----------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def services(emulator: FirestoreEmulator, tmp_path_factory: pytest.TempPathFactory) -> Services:
    project = f"test-billing-ui-{uuid.uuid4().hex[:10]}"
    store = Store.connect(make_client(project, emulator_host=emulator.address))
    seed(store)
    data_dir = tmp_path_factory.mktemp("billing-ui")
    settings = Settings(_env_file=None, mode="local", project=project, data_dir=data_dir, rate_limit_per_minute=10_000)
    return Services(settings, store=store)


@pytest.fixture(scope="module")
def panel(services: Services) -> BillingPanel:
    with gr.Blocks():
        tab = CreditsTab(services, gr.State(None))
        tab.wire()
    return tab.billing


def token(services: Services, key: str) -> str:
    session = start_session(services, key)
    assert session is not None
    return session[1]


def shown(panel: BillingPanel, outputs: tuple[Any, ...]) -> dict[str, Any]:
    names = ["banner", "buy", "packs", "buy_status", "checkout", "history", "invoices", "choice", "download"]
    return dict(zip([*names, "purchases", "status"], outputs, strict=True))


@pytest.fixture
def low(services: Services) -> Iterator[None]:
    """Every balance counts as low (the demo organisations have plenty): the level raised in the settings."""
    undo = services.override(
        "billing_settings", services.billing_settings.model_copy(update={"low_balance_credits": 10**9})
    )
    try:
        yield
    finally:
        undo()


@pytest.mark.usefixtures("low")
def test_a_merchant_sees_the_banner_but_no_buy_section_nor_invoices(services, panel) -> None:
    balance_mc = services.credits.account("bergveld").balance_mc
    view = shown(panel, panel.load(token(services, MERCHANT)))
    assert view["banner"].visible and view["banner"].value == banner_text(balance_mc, admin=False)
    assert view["buy"].visible is False and view["history"].visible is False
    assert view["invoices"] == "" and view["purchases"] == "" and view["choice"].choices == []


def test_no_banner_above_the_level(services, panel) -> None:
    view = shown(panel, panel.load(token(services, MERCHANT)))
    assert view["banner"].visible is False and view["banner"].value == ""


@pytest.mark.usefixtures("low")
def test_an_admin_sees_the_packs_and_the_low_balance_with_buy_below(services, panel) -> None:
    view = shown(panel, panel.load(token(services, ADMIN)))
    assert view["banner"].visible and view["banner"].value.endswith("Buy credits below.")
    assert view["buy"].visible and view["history"].visible
    assert ("5,500 credits: R500.00 + VAT R75.00 = R575.00", "growth") in view["packs"].choices
    assert view["status"] == ""


def test_roles_are_checked_by_every_handler(services, panel) -> None:
    support = token(services, SUPPORT)
    assert "needs the merchant or admin role" in panel.load(support)[-1]
    assert panel.load_signed_in(support) == (gr.skip(),) * len(panel.outputs)  # hidden tab: nothing at all
    assert "Sign in with an API key first." in panel.load(None)[-1]
    merchant = token(services, MERCHANT)
    assert "needs the admin role" in panel.start_checkout("growth", False, merchant)[0]
    assert panel.start_checkout("growth", False, merchant)[1] == ""
    assert "needs the admin role" in panel.pick_invoice("INV-000001", merchant)[1]


def test_buy_asks_for_a_pack_and_refuses_an_unknown_one(services, panel) -> None:
    admin = token(services, ADMIN)
    assert panel.start_checkout(None, False, admin) == ("⚠ Choose a credit pack first.", "")
    assert "no longer offered" in panel.start_checkout("platinum", False, admin)[0]


def test_buy_starts_a_pending_purchase_and_renders_payfasts_form_only(services, panel) -> None:
    admin = token(services, ADMIN)
    status, html = panel.start_checkout("growth", True, admin)
    assert status.startswith("Your order of 5,500 credits: R500.00 + VAT R75.00 = R575.00 is ready.")
    assert "auto top-up" in status
    newest = services.purchases.list("bergveld", 1)[0]
    assert newest.status == "pending" and newest.pack_id == "growth" and newest.tokenise
    assert f'action="{services.billing_settings.process_url}"' in html
    assert f'name="m_payment_id" value="{newest.id}"' in html and 'name="amount" value="575.00"' in html
    assert 'name="subscription_type" value="2"' in html and 'name="signature"' in html
    passphrase = services.billing_settings.passphrase or "no passphrase"
    assert ADMIN not in html and admin not in html and passphrase not in html  # neither key nor passphrase


def test_a_completed_purchase_lists_its_invoice_and_downloads_its_pdf(services, panel) -> None:
    admin = token(services, ADMIN)
    panel.start_checkout("starter", False, admin)
    pending = services.purchases.list("bergveld", 1)[0]
    supplier = Party(name="Fluxori (Pty) Ltd", address="Rosebank", vat_number="4000000000")
    done, _ = services.purchases.complete("bergveld", pending.id, f"pf-{uuid.uuid4().hex[:8]}", supplier, "Berg")
    view = shown(panel, panel.load(admin))
    assert done.invoice_number in view["invoices"] and "R115.00" in view["invoices"]
    assert view["choice"].value == done.invoice_number and view["choice"].visible  # the newest, to download
    assert f"complete, invoice {done.invoice_number}" in view["purchases"]
    assert "pending: waiting for PayFast" in view["purchases"]  # the earlier test's unpaid order
    pdf = Path(view["download"].value["path"])  # copied into Gradio's cache
    assert view["download"].visible and pdf.name == f"{done.invoice_number}.pdf"
    assert pdf.read_bytes()[:4] == b"%PDF"
    button, status = panel.pick_invoice(done.invoice_number, admin)
    assert status == "" and Path(button.value["path"]).read_bytes()[:4] == b"%PDF"
    other = token(services, "fx_demo_fynbos_admin")  # another organisation's admin: no such invoice
    button, status = panel.pick_invoice(done.invoice_number, other)
    assert status.startswith("⚠ Not found") and button.visible is False


def test_failures_are_messages_never_tracebacks(services, panel, monkeypatch) -> None:
    def broken(*args: object, **kwargs: object) -> Any:
        raise RuntimeError("firestore exploded at /srv/secret/path")

    monkeypatch.setattr(ui.billing_panel, "checkout", broken)
    monkeypatch.setattr(views, "invoices", broken)
    admin = token(services, ADMIN)
    status, html = panel.start_checkout("growth", False, admin)
    assert status == "⚠ Something went wrong on our side. Please try again in a moment." and html == ""
    outputs = panel.load(admin)
    assert outputs[-1].startswith("⚠ Something went wrong") and "exploded" not in str(outputs)
    assert all(output == gr.skip() for output in outputs[:-1])  # what was shown stays


def test_the_reset_shows_nothing_of_anyone(panel) -> None:
    view = shown(panel, panel.reset())
    assert not view["banner"].visible and not view["buy"].visible and not view["history"].visible
    assert view["invoices"] == view["purchases"] == view["checkout"] == ""
    assert view["choice"].choices == [] and not view["choice"].visible and view["download"].value is None


def test_old_invoice_files_are_pruned(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(ui.billing_views.tempfile, "gettempdir", lambda: str(tmp_path))
    root = tmp_path / ui.billing_views.PDF_FOLDER
    stale = root / "old"
    stale.mkdir(parents=True)
    (stale / "INV-000001.pdf").write_bytes(b"%PDF")
    os.utime(stale, (0, 0))
    invoice = Invoice(
        number="INV-000002",
        sequence=2,
        org_id="bergveld",
        purchase_id="p2",
        issued_at=AT,
        supplier=Party(name="Fluxori (Pty) Ltd"),
        recipient=Party(name="Berg & Veld Outdoor"),
        description="Fluxori AI credits: 1,000 credits (starter pack)",
        credits_mc=1_000_000,
        price_cents=10000,
        vat_percent=15,
        vat_cents=1500,
        total_cents=11500,
    )
    ui.billing_views.invoice_button(invoice)
    assert not stale.exists() and [p.name for p in root.glob("*/*.pdf")] == ["INV-000002.pdf"]
