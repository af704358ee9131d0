"""The Gradio web UI of Fluxori Assistant, mounted at `/ui` of the API server.

Sign in with an API key (in local mode also from a picker of the demo keys); the tabs shown follow the key's
role as the policy (`assistant.application.policy`) has it, and every handler resolves the key again and checks
its capability itself (`ui.session.require`), because hidden tabs still have endpoints that a Gradio client can
call. The UI reads and changes data through the application layer only (`assistant.application`).
"""

from __future__ import annotations

from typing import Any

import gradio as gr
from fastapi import FastAPI

from assistant.application.policy import Capability, can
from domain.orgs import Principal, Role
from ui.admin_tab import CSS as ADMIN_CSS
from ui.admin_tab import AdminTab
from ui.chat_tab import ChatTab
from ui.chat_view import CHAT_CAPABILITY
from ui.credits_tab import CreditsTab
from ui.kb_tab import KbTab
from ui.progress import progress_on
from ui.session import (
    TAB_IDS,
    WRONG_KEY,
    UiServices,
    authenticate,
    demo_key_choices,
    signed_in_text,
    start_session,
)
from ui.upload_guard import SESSION_COOKIE, install_upload_guard

# The capability each tab serves. The Chat tab is where changes are proposed and confirmed; support staff's
# read-only answers are in the Knowledge base tab.
TAB_CAPABILITY = {
    "chat": CHAT_CAPABILITY,
    "admin": Capability.ingest,
    "kb": Capability.search,
    "credits": Capability.credits_view,
}
UI_PATH = "/ui"
MAX_UPLOAD = "10mb"
# Runs in the page after sign-in, sign-out and reload: the session token as a cookie (or none).
SET_COOKIE_JS = f"""(token) => {{
  document.cookie = token
    ? `{SESSION_COOKIE}=${{token}}; path=/; max-age=43200; SameSite=Strict`
    : `{SESSION_COOKIE}=; path=/; max-age=0; SameSite=Strict`;
}}"""
CSS = """
.fx-hit { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 10px 12px; margin: 8px 0; }
.fx-hit-title { font-size: 1.02em; }
.fx-hit-meta { color: var(--body-text-color-subdued); font-size: 0.85em; margin: 2px 0 6px; }
.fx-hit-snippet b { background: var(--color-accent-soft); border-radius: 3px; padding: 0 2px; }
#signin-status p { margin: 0; }
#signin-chip { align-items: center; flex-wrap: nowrap; }
#signin-chip #signin-status { flex: 1 1 auto; min-width: 0; }
#signout-button { flex: 0 0 auto; max-width: 120px; align-self: center; }
"""

# Gradio's sidebars push the page aside by one page-wide amount that every sidebar writes when it is drawn, the last
# one winning, even one in a hidden tab (after a second sign-in the chat's list lay over the page; other tabs started
# 470 px in). The room each open sidebar of the visible tab needs is set here instead. In the page's head: Gradio
# scopes `css` to the app's content, and the element to pad holds it.
SIDEBAR_HEAD = """<style>
@media (min-width: 768px) {
  .sidebar-parent { padding-left: 0 !important; padding-right: 0 !important; }
  .sidebar-parent:has(#tab-chat:not([style*="none"]) #chat-sidebar.open) { padding-left: 290px !important; }
  .sidebar-parent:has(#tab-chat:not([style*="none"]) #ref-panel.open) { padding-right: 420px !important; }
  .sidebar-parent:has(#tab-kb:not([style*="none"]) #kb-panel.open) { padding-right: 460px !important; }
}
</style>"""


def tabs_for(role: Role) -> tuple[str, ...]:
    """The tabs a role sees, the one to open first in front."""
    return tuple(tab for tab, capability in TAB_CAPABILITY.items() if can(role, capability))


class Ui:
    def __init__(self, services: UiServices) -> None:
        self.services = services
        with gr.Blocks(title="Fluxori Assistant", analytics_enabled=False) as self.blocks:
            self.key_state = gr.State(None)  # the session token (never the key); server-side
            # The same token in the browser, so a reload stays signed in (ui.session_token: signed, expiring).
            self.session_store = gr.BrowserState("", storage_key="fluxori-session")
            gr.Markdown("# Fluxori Assistant\nStock, orders, imports and the help centre, in one conversation.")
            self._sign_in_panel()
            with gr.Tabs(elem_id="tabs") as self.tabs:
                with gr.Tab("Chat", id="chat", visible=False, elem_id="tab-chat") as chat_tab:
                    self.chat = ChatTab(services, self.key_state)
                with gr.Tab("Knowledge base", id="kb", visible=False, elem_id="tab-kb") as kb_tab:
                    self.kb = KbTab(services, self.key_state)
                with gr.Tab("Credits & usage", id="credits", visible=False, elem_id="tab-credits") as credits_tab:
                    self.credits = CreditsTab(services, self.key_state)
                with gr.Tab("Admin", id="admin", visible=False, elem_id="tab-admin") as admin_tab:
                    self.admin = AdminTab(services, self.key_state)
            self.tab_items = {"chat": chat_tab, "kb": kb_tab, "credits": credits_tab, "admin": admin_tab}
            self._wire()

    def _sign_in_panel(self) -> None:
        choices = demo_key_choices(self.services)
        with gr.Row(elem_id="signin-panel") as self.sign_in_row:
            # The picker only exists in local mode, where the demo keys are documented and harmless.
            self.demo_key = gr.Dropdown(
                choices,
                value=None,
                label="Demo key (local mode)",
                visible=bool(choices),
                elem_id="signin-demo",
                scale=2,
            )
            self.key_text = gr.Textbox(
                label="API key", type="password", placeholder="fx_...", elem_id="signin-key", scale=3
            )
            with gr.Column(scale=1, min_width=140):
                self.sign_in = gr.Button("Sign in", variant="primary", elem_id="signin-button")
        # Once signed in, the panel collapses into this chip: organisation, role, sign out.
        with gr.Row(elem_id="signin-chip", equal_height=True):
            self.status = gr.Markdown("Sign in with your API key.", elem_id="signin-status")
            self.sign_out = gr.Button("Sign out", visible=False, size="sm", elem_id="signout-button", scale=0)

    def _wire(self) -> None:
        self.chat.wire()
        self.kb.wire()
        self.credits.wire()
        self.admin.wire()
        outputs = [
            self.key_state,
            self.session_store,
            self.sign_in_row,
            self.key_text,
            self.status,
            self.sign_out,
            self.tabs,
            *self.tab_items.values(),
            self.kb.doc_type,
            self.kb.answer,
            *self.kb.cleared,
            *self.chat.outputs,
            *self.credits.outputs,
            *self.credits.billing.outputs,
        ]
        self.output_count = len(outputs)
        progress = progress_on(self.status)  # not on the tabs: see `progress_on`
        signed_in = self.sign_in.click(
            self.do_sign_in, [self.key_text, self.demo_key], outputs, api_name="sign_in", **progress
        )
        submitted = self.key_text.submit(
            self.do_sign_in, [self.key_text, self.demo_key], outputs, api_visibility="private", **progress
        )
        restored = self.blocks.load(
            self.do_restore, [self.session_store], outputs, api_visibility="private", **progress
        )
        for event in (signed_in, submitted, restored):
            # The cookie lets the browser's uploads prove an admin session (ui.upload_guard); then the data.
            event = event.then(None, [self.session_store], None, js=SET_COOKIE_JS)
            loaded = event.then(
                self.load_credits,
                [self.key_state],
                self.credits.outputs,
                api_visibility="private",
                **progress_on(self.credits.summary),  # not on the ledger: the page would copy it at every update
            )
            self.credits.after_sign_in(loaded)
            self.chat.after_sign_in(event)
            self.admin.after_sign_in(event)
        self.sign_out.click(self.do_sign_out, None, outputs, api_name="sign_out", **progress).then(
            None, [self.session_store], None, js=SET_COOKIE_JS
        )

    def _view(self, key: str | None, principal: Principal | None, status: str) -> tuple[Any, ...]:
        tabs = tabs_for(principal.role) if principal else ()
        first = tabs[0] if tabs else None
        return (
            key,
            key or "",
            gr.Row(visible=principal is None),
            "",  # the key never stays in a visible component
            status,
            gr.Button(visible=principal is not None),
            gr.Tabs(selected=first) if first else gr.skip(),
            *(gr.Tab(visible=tab in tabs) for tab in TAB_IDS),
            self.kb.type_choices(principal),
            self.kb.answer_button(principal),
            *self.kb.reset(),  # nor their searches and answers
            *self.chat.reset(),  # a new sign-in never shows the previous user's conversation
            *self.credits.reset(),  # nor their balance, invoices and purchases
        )

    def do_sign_in(self, key_text: str, demo_key: str | None) -> tuple[Any, ...]:
        key = (key_text or "").strip() or (demo_key or "").strip()
        if not key:
            return self._view(
                None, None, "Enter an API key" + (" or pick a demo key." if self.demo_key.visible else ".")
            )
        session = start_session(self.services, key)
        if session is None:
            return self._view(None, None, f"⚠ {WRONG_KEY}")
        principal, token = session
        return self._view(token, principal, signed_in_text(self.services, principal))

    def do_restore(self, token: str | None) -> tuple[Any, ...]:
        """A reload: the token kept by the browser signs in again while it is valid, else the sign-in panel."""
        if not token:  # nothing kept: leave the sign-in panel as it is (the user may be typing already)
            return tuple(gr.skip() for _ in range(self.output_count))
        principal = authenticate(self.services, token)
        if principal is None:
            return self._view(None, None, "Your session ended; sign in again.")
        return self._view(token, principal, signed_in_text(self.services, principal))

    def do_sign_out(self) -> tuple[Any, ...]:
        return self._view(None, None, "Signed out.")

    def load_credits(self, key: str | None) -> tuple[Any, ...]:
        principal = authenticate(self.services, key)
        if principal is None or not can(principal.role, Capability.credits_view):
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        return self.credits.load(key)


def build_ui(services: UiServices) -> gr.Blocks:
    blocks: gr.Blocks = Ui(services).blocks
    return blocks


def mount_ui(app: FastAPI, services: UiServices) -> FastAPI:
    """Mount the UI at /ui of the API app (called by `app.api.app.create_app`). Its calls count against the
    API's per-key rate limit: `services.gate` holds that limiter."""
    install_upload_guard(app, services, UI_PATH)
    mounted: FastAPI = gr.mount_gradio_app(
        app,
        build_ui(services),
        path=UI_PATH,
        css=CSS + ADMIN_CSS,
        head=SIDEBAR_HEAD,
        theme=gr.themes.Soft(),
        ssr_mode=False,  # no Node server: the UI is served by uvicorn alone
        show_error=False,  # handlers turn failures into messages; anything else must not leak its text
        max_file_size=MAX_UPLOAD,
        footer_links=["api"],
        mcp_server=False,
        run_history=False,  # Gradio would keep every call's inputs and outputs (a typed API key too) in the browser
    )
    return mounted
