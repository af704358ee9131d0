"""Where a Gradio event shows its progress (see `progress_on`): the page's cost of every update depends on it."""

from __future__ import annotations

from typing import Any

import gradio as gr


def progress_on(component: gr.components.Component, show: str = "full") -> dict[str, Any]:
    """Where an event shows its progress: one component, never a container, and the same few for every event.
    Gradio's page keeps a loading status per progress target (by default: every output) for the rest of the
    session and, on every status message of ANY event, copies each target's properties and, for a container, those
    of everything inside it (a tab: the whole tab, chat history included). A container among an event's outputs
    made every later chat update copy the page several times; each extra target costs a copy per update, and a
    component holding much (the chatbot: the whole conversation) a large one."""
    return {"show_progress_on": [component], "show_progress": show}
