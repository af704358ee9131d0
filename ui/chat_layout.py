"""The chat tab's components: the conversations sidebar, the source panel, the chat and its input row, and the
hidden parts the page's scripts and gradio_client use. Built inside the app's Blocks; `ui.chat_tab` wires them."""

from __future__ import annotations

import gradio as gr

from ui.chat_render import REF_PREFIX
from ui.chat_view import ChatState
from ui.page_scripts import CHAT_CSS, PANEL_JS, bridge_js
from ui.progress import progress_on
from ui.today_card import component as today_component

PLACEHOLDER = (
    "**Ask about stock, orders, imports and the help centre.**\n\n"
    "e.g. *How many BV-TENT-0001 do we have in Cape Town?* · *What is running low?* · *How do stock transfers work?*"
)


class ChatLayout:
    def __init__(self) -> None:
        with gr.Sidebar(
            position="left", open=True, width=270, elem_id="chat-sidebar", label="Conversations"
        ) as self.sidebar:
            self.new = gr.Button("+ New chat", variant="primary", elem_id="chat-new")
            # Shown once there is a conversation: an empty Radio is an empty white box.
            self.conversation_list = gr.Radio(
                [], value=None, label="Conversations", show_label=False, elem_id="chat-conversations", visible=False
            )
            with gr.Group(visible=False, elem_id="chat-manage") as self.manage:
                self.title = gr.Textbox(label="Title of this chat", elem_id="chat-title", max_lines=1)
                with gr.Row():
                    self.rename = gr.Button("Rename", size="sm", elem_id="chat-rename")
                    self.delete = gr.Button("Delete", size="sm", variant="stop", elem_id="chat-delete")
        with gr.Sidebar(position="right", open=False, width=400, elem_id="ref-panel", label="Source") as self.ref_panel:
            self.ref_close = gr.Button("Close", size="sm", elem_id="ref-close")
            self.ref_body = gr.HTML("", elem_id="ref-body", js_on_load=PANEL_JS, head=CHAT_CSS)
        # The "Today" card above an empty conversation (`ui.today_card`): filled at sign-in and for a new chat.
        self.today = today_component()
        self.chatbot = gr.Chatbot(
            label="Fluxori Assistant",
            elem_id="chat-history",
            height="62vh",
            min_height=320,
            buttons=["copy"],
            show_label=False,
            placeholder=PLACEHOLDER,
            feedback_options=None,
        )
        with gr.Row(equal_height=True, elem_id="chat-input-row"):
            self.message = gr.Textbox(
                placeholder="Ask about stock, orders, imports, duties…",
                show_label=False,
                elem_id="chat-input",
                scale=5,
                max_lines=6,
                autofocus=True,
            )
            self.send = gr.Button("Send", variant="primary", elem_id="chat-send", scale=1, min_width=80)
            self.stop = gr.Button("Stop", variant="stop", elem_id="chat-stop", scale=1, min_width=80, visible=False)
        self.credits_md = gr.Markdown("", elem_id="chat-credits")
        # Every chat event shows its progress (none: Send, Stop and the messages say enough) on the Send button. A
        # target's properties are copied at every status message of any event: the chatbot's are the whole
        # conversation, the side panel's a whole article.
        self.quiet = progress_on(self.send, "hidden")
        # API-only: confirm / reject the pending change (the page uses the card's buttons), the hidden question box
        # (`/chat` takes it as its one argument) and the bridge of reference links.
        self.question = gr.Textbox(visible=False)
        self.confirm = gr.Button(visible=False)
        self.reject = gr.Button(visible=False)
        self.bridge = gr.HTML(
            "", html_template="<span></span>", js_on_load=bridge_js(REF_PREFIX, "__fxRefs"), elem_id="fx-ref-bridge"
        )
        # The conversation of this browser session, on the server (`ChatState`).
        self.state = gr.State(ChatState())
        # A question to put back into the input box (its turn failed): the page's own chain reads it from this
        # hidden box; gradio_client gets no such box.
        self.restore_box = gr.Textbox(visible=False)
        # The open conversation's id in the browser, so a reload opens it again (the messages stay on the server).
        # Rendered by `wire` at the top of the page: inside the tab, hidden until sign-in, it would not load its value.
        self.conversation_store = gr.BrowserState("", storage_key="fluxori-conversation", render=False)
