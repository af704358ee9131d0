"""What runs and how things look in the page itself (scripts and styles of the chat and the knowledge base): no
round trip to the server."""

from __future__ import annotations


def bridge_js(prefix: str, store: str) -> str:
    """Links whose href holds `prefix` (`#fx-ref:` in answers) open the side panel: one capturing click listener
    for the whole page hands the reference to a hidden bridge component, whose click event runs on the server.
    `store` names the page-global record of that bridge (one per prefix)."""
    return f"""
const bridge = (window.{store} = window.{store} || {{}});
bridge.props = props;
bridge.trigger = trigger;
if (!bridge.installed) {{
  bridge.installed = true;
  document.addEventListener('click', (event) => {{
    const link = event.target.closest && event.target.closest('a[href*="{prefix}"]');
    if (!link) return;
    event.preventDefault();
    event.stopPropagation();
    bridge.props.value = decodeURIComponent(link.getAttribute('href').split('{prefix}')[1] || '');
    setTimeout(() => bridge.trigger('click'), 0);
  }}, true);
}}
"""


# On a phone the conversation list covers the screen: it closes after sign-in and after picking a chat.
PHONE_CLOSE_JS = """(...args) => {
  if (window.innerWidth < 768) {
    document.querySelector('#chat-sidebar.open > .toggle-button')?.click();
  }
  return args;
}"""
# Send takes the question out of the box in the page itself, before any round trip: a server answer that cleared
# the box would also clear what was typed while it travelled. `fxAnswering` is the page's own "one answer at a
# time" (the server's busy flag arrives a round trip late); the end of the turn, or Stop, clears it.
BEGIN_JS = """(message, busy, ...rest) => {
  busy = busy || Boolean(window.fxAnswering);
  if (busy || !(message || '').trim()) return [message, busy, ...rest];
  window.fxAnswering = true;
  const box = document.querySelector('#chat-input textarea');
  if (box) { box.value = ''; box.dispatchEvent(new Event('input', {bubbles: true})); }
  return [message, false, ...rest];
}"""
# After the turn, in the page: a question whose turn failed goes back into the box, unless something new was typed;
# a card waiting for a decision is scrolled into view (the chat stops following new messages once scrolled).
END_JS = """(message, restore) => {
  window.fxAnswering = false;
  const options = document.querySelector('#chat-history .options');
  const log = document.querySelector('#chat-history [role=log]');
  if (options && log) log.scrollTop = log.scrollHeight;
  return [(message || '').trim() || !restore ? message : restore];
}"""
STOP_JS = """(...args) => { window.fxAnswering = false; return args; }"""
# The cited passage of an article is scrolled into view when the panel shows it.
PANEL_JS = """
watch('value', () => {
  const cited = element.querySelector('.fx-cited');
  if (cited) setTimeout(() => cited.scrollIntoView({block: 'center', behavior: 'smooth'}), 50);
});
"""
CHAT_CSS = """
<style>
#chat-history .options { position: sticky; bottom: 0; display: flex; flex-direction: row; flex-wrap: nowrap;
  justify-content: flex-start; gap: 10px; padding: 8px 0; background: var(--background-fill-primary); z-index: 2; }
#chat-history .options .option { min-height: 44px; min-width: 110px; font-weight: 600; }
#chat-history .options .option:first-child { background: var(--button-primary-background-fill);
  color: var(--button-primary-text-color); border-color: var(--button-primary-border-color); }
#chat-history a[href*="#fx-ref:"] { text-decoration: none; border-radius: 4px; padding: 0 3px;
  background: var(--color-accent-soft); color: var(--body-text-color); }
#chat-history table { font-size: 0.92em; }
.fx-ref-title { margin: 0 0 2px; font-size: 1.1em; }
.fx-ref-sub { color: var(--body-text-color-subdued); font-size: 0.85em; margin-bottom: 8px; word-break: break-all; }
.fx-ref { max-width: 100%; box-sizing: border-box; overflow-x: auto; padding-right: 4px; }
.fx-ref-table { width: 100%; table-layout: fixed; border-collapse: collapse; margin: 8px 0; font-size: 0.9em; }
.fx-ref-table th, .fx-ref-table td { border-bottom: 1px solid var(--border-color-primary); padding: 4px 6px;
  text-align: left; }
.fx-ref-warn { color: var(--color-red-500, #c0392b); font-weight: 600; }
.fx-ref-status { font-weight: 600; text-transform: capitalize; }
.fx-section h4 { margin: 12px 0 4px; }
.fx-section p { margin: 6px 0; }
.fx-cited { border-left: 3px solid var(--color-accent); padding: 2px 8px; background: var(--color-accent-soft);
  border-radius: 4px; }
#chat-conversations label { width: 100%; }
#chat-conversations .wrap { flex-direction: column; gap: 4px; }
#chat-stop button, #chat-send { min-width: 80px; }
</style>
"""
