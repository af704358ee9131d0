"""Billing in the Credits tab: the low-balance banner, "Buy credits" (admins), their tax invoices as PDF and their
recent purchases.

Buy calls `assistant.billing.checkout` on the server and renders the signed PayFast form as hidden inputs with a
"Continue to PayFast" button, which posts it to PayFast's hosted page in the same tab. The page never holds the
API key or the session token: the form carries only PayFast's checkout fields (the passphrase signs them and is
never among them). PayFast sends the buyer back to `/billing/return/{purchase}`, whose link leads back to `/ui/`,
where the session kept in local storage signs in again and this panel loads the new balance and invoice.
"""

from __future__ import annotations

from typing import Any

import gradio as gr
from gradio.events import Dependency

from assistant.application import credits as app_credits
from assistant.application.policy import Capability, can
from assistant.billing import views
from assistant.billing.checkout import checkout
from ui.billing_views import (
    BILLING_CSS,
    RECENT_PURCHASES,
    banner_text,
    checkout_html,
    invoice_button,
    invoice_choices,
    invoices_html,
    pack_label,
    purchases_html,
)
from ui.progress import progress_on
from ui.session import Refusal, UiServices, authenticate, friendly_error, require


# The panel -------------------------------------------------------------------------------------------------------
class BillingPanel:
    """Built inside the Credits tab, below its summary; `banner` is placed by the tab above everything else."""

    def __init__(self, services: UiServices, key_state: gr.State, banner: gr.Markdown) -> None:
        self.services = services
        self.key_state = key_state
        self.banner = banner
        with gr.Group(visible=False, elem_id="buy-section") as self.buy_section:
            gr.Markdown("### Buy credits\nPaid by card or EFT on PayFast; the credits arrive when PayFast confirms.")
            self.pack = gr.Radio([], label="Credit pack", elem_id="buy-pack")
            self.save_card = gr.Checkbox(False, label="Save my card for auto top-up", elem_id="buy-save-card")
            self.buy = gr.Button("Buy credits", variant="primary", elem_id="buy-credits")
            self.buy_status = gr.Markdown("", elem_id="buy-status")
            self.checkout = gr.HTML("", elem_id="buy-checkout", js_on_load=None, head=BILLING_CSS)
        with gr.Group(visible=False, elem_id="billing-history") as self.history:
            gr.Markdown("### Tax invoices")
            self.invoices = gr.HTML("", elem_id="billing-invoices", js_on_load=None)
            with gr.Row():  # side by side on a laptop, one under the other on a phone (their min widths)
                self.invoice_choice = gr.Dropdown(
                    [], label="Invoice", visible=False, elem_id="invoice-choice", scale=3, min_width=260
                )
                self.download = gr.DownloadButton(
                    "Download PDF", visible=False, elem_id="invoice-download", scale=1, min_width=160
                )
            gr.Markdown("### Recent purchases")
            self.purchases = gr.HTML("", elem_id="billing-purchases", js_on_load=None)
            self.status = gr.Markdown("", elem_id="billing-status")
        self.outputs = [
            self.banner,
            self.buy_section,
            self.pack,
            self.buy_status,
            self.checkout,
            self.history,
            self.invoices,
            self.invoice_choice,
            self.download,
            self.purchases,
            self.status,
        ]

    def wire(self) -> None:
        self.buy.click(
            self.start_checkout,
            [self.pack, self.save_card, self.key_state],
            [self.buy_status, self.checkout],
            api_name="buy_credits",
            concurrency_limit=1,  # a double click starts one purchase at a time (a second stays pending unpaid)
            **progress_on(self.buy_status),  # never on the sections: see `progress_on`
        )
        self.invoice_choice.input(
            self.pick_invoice,
            [self.invoice_choice, self.key_state],
            [self.download, self.status],
            api_name="invoice",
            **progress_on(self.status),
        )

    def after_refresh(self, refreshed: Dependency) -> None:
        refreshed.then(self.load, [self.key_state], self.outputs, api_name="billing", **progress_on(self.status))

    def after_sign_in(self, loaded: Dependency) -> None:
        loaded.then(
            self.load_signed_in, [self.key_state], self.outputs, api_visibility="private", **progress_on(self.status)
        )

    def load_signed_in(self, key: str | None) -> tuple[Any, ...]:
        """After a sign-in: a role that sees no credits gets nothing here (the sign-in has cleared the panel)."""
        principal = authenticate(self.services, key)
        if principal is None or not can(principal.role, Capability.credits_view):
            return (gr.skip(),) * len(self.outputs)
        return self.load(key)

    def reset(self) -> tuple[Any, ...]:
        """Nothing of anyone's billing: after sign-out, and before a sign-in loads the new user's."""
        return (
            gr.Markdown("", visible=False),
            gr.Group(visible=False),
            gr.Radio(choices=[], value=None),
            "",
            "",
            gr.Group(visible=False),
            "",
            gr.Dropdown(choices=[], value=None, visible=False),
            invoice_button(None),
            "",
            "",
        )

    def load(self, key: str | None) -> tuple[Any, ...]:
        """The banner for anyone who sees credits; for admins also the packs, the invoices and the purchases."""
        try:
            principal = require(self.services, key, Capability.credits_view)
            balance_mc = app_credits.account(self.services, principal).balance_mc
            admin = can(principal.role, Capability.billing)
            low = views.low_balance(self.services, balance_mc)
            banner = gr.Markdown(banner_text(balance_mc, admin) if low else "", visible=low)
            if not admin:
                return banner, *self.reset()[1:]
            packs = views.list_packs(self.services, principal)
            invoices = views.invoices(self.services, principal)
            purchases = views.purchases(self.services, principal, RECENT_PURCHASES)
            newest = invoices[0].number if invoices else None
            button = invoice_button(views.invoice(self.services, principal, newest) if newest else None)
        except Exception as exc:  # shown as a message, never a traceback
            return *(gr.skip(),) * (len(self.outputs) - 1), f"⚠ {friendly_error(exc)}"
        return (
            banner,
            gr.Group(visible=True),
            gr.Radio(
                choices=[(pack_label(p), p.id) for p in packs],
                label=f"Credit pack (price excl. VAT + VAT at {self.services.prices.billing.vat_percent}% = total)",
            ),
            gr.skip(),  # a checkout started before a refresh stays usable
            gr.skip(),
            gr.Group(visible=True),
            invoices_html(invoices),
            gr.Dropdown(choices=invoice_choices(invoices), value=newest, visible=bool(invoices)),
            button,
            purchases_html(purchases),
            "",
        )

    def start_checkout(self, pack_id: str | None, save_card: bool, key: str | None) -> tuple[str, str]:
        try:
            principal = require(self.services, key, Capability.billing)
            if not pack_id:
                raise Refusal("Choose a credit pack first.")
            chosen = {p.id: p for p in views.list_packs(self.services, principal)}.get(pack_id)
            if chosen is None:
                raise Refusal("That pack is no longer offered; Refresh and choose again.")
            order = checkout(self.services, principal, pack_id, bool(save_card))
        except Exception as exc:
            return f"⚠ {friendly_error(exc)}", ""
        card = " PayFast keeps your card for auto top-up." if save_card else ""
        return f"Your order of {pack_label(chosen)} is ready.{card}", checkout_html(order, chosen)

    def pick_invoice(self, number: str | None, key: str | None) -> tuple[Any, str]:
        try:
            principal = require(self.services, key, Capability.billing)
            return invoice_button(views.invoice(self.services, principal, number) if number else None), ""
        except Exception as exc:
            return invoice_button(None), f"⚠ {friendly_error(exc)}"
