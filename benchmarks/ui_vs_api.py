"""One chat turn through the web UI against the same turn through the HTTP API, on one real server.

What it does:
1. starts a Firestore emulator and a server subprocess (the FastAPI app with the Gradio UI at /ui, local mode,
   demo data and the demo help centre indexed for `bergveld`); the model is the offline one, or with
   `--model-latency S` Gemini through the real client pointed at benchmarks/fake_gemini.py (its own process, S
   seconds per call, text streamed in chunks, the first after `--first-token-fraction` x S);
2. warms every path up (models loaded), then asks each question `--rounds` times through each path, alternating:
   - `api`: `POST /v1/chat` (JSON; with a model latency, `Accept: text/event-stream` and the first `token` event);
   - `ui`: the chat's `/chat` event as the page's own JavaScript client sends it: Gradio's queue protocol on one
     keep-alive connection (`POST queue/join`, then the session's event stream `GET queue/data`), in one signed-in
     session, a new chat before each turn; until the last update, and the first update with answer text in it;
   - `browser` (`--browser`): the page in headless Chromium (Debian's `chromium`): type, click Send, until the
     answer is there and Send is back (the whole chain of events the page runs), and the first answer text;
   - `gradio_client` (`--gradio-client`): `gradio_client`'s `predict("/chat")`, for reference: the client itself
     waits in 50 ms polling steps and opens a connection per call, which is not what a browser does;
3. prints the median and p90 per question and overall, the ratio UI / API (goal: <= 1.3) and, with a model
   latency, the time to the first token against the model's (goal: <= model's + 100 ms).

Run: `.venv/bin/python benchmarks/ui_vs_api.py [--rounds 5] [--browser] [--gradio-client] [--json out.json]`
     `.venv/bin/python benchmarks/ui_vs_api.py --model-latency 1 --rounds 3 [--browser]`
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

KEY = "fx_demo_bergveld_merchant"
QUESTIONS = [
    "how many BV-TENT-0001 do we have in Cape Town?",
    "which products are running low?",
    "how are sales this month by channel?",
    "which shipments are at customs?",
    "how do stock transfers work?",
]
CHROMIUM = Path("/usr/bin/chromium")
# A turn's timing: seconds to the first answer text (nan when not measured) and to the end of the turn.
Timing = tuple[float, float]
NAN = float("nan")


def serve(port: int, emulator: str, data_dir: str) -> None:
    """The server process: seed, index the demo help centre, serve (with the fake Gemini when its URL is set)."""
    import uvicorn

    from app.api.app import create_app
    from app.wiring import Services
    from assistant.settings import Settings
    from domain.demo import seed
    from domain.store import Store, make_client
    from ingestion.pipeline import ingest_kb

    store = Store.connect(make_client("bench-ui", emulator_host=emulator))
    seed(store)
    settings = Settings(project="bench-ui", data_dir=Path(data_dir), rate_limit_per_minute=100_000)
    services = Services(settings, store=store)
    gemini_url = os.environ.get("FLUXORI_BENCH_GEMINI_URL")
    if gemini_url:  # the product's Gemini client, sent to the fake (a base URL is a client argument, not a setting)
        from fake_gemini import chat_model_for

        services.override("chat_model", chat_model_for(gemini_url, settings))
        services.credits.grant("bergveld", 10**12, "bench-ui", "ui benchmark")  # Gemini's price drains the demo
        services.credits.set_daily_quota("bergveld", 10**12)
    ingest_kb(services, "bergveld", ROOT / "ingestion" / "demo_kb")
    uvicorn.run(create_app(services), host="127.0.0.1", port=port, log_level="warning", access_log=False)


def wait_ready(base: str, process: subprocess.Popen, timeout: float = 900) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("the server exited; see its output above")
        try:
            if httpx.get(f"{base}/ui/", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise SystemExit("the server did not start in time")


# The paths ------------------------------------------------------------------------------------------------------
def api_turn(http: httpx.Client, question: str) -> Timing:
    started = time.perf_counter()
    response = http.post("/v1/chat", json={"message": question})
    response.raise_for_status()
    assert response.json()["answer"], response.text
    return NAN, time.perf_counter() - started


def sse_turn(http: httpx.Client, question: str) -> Timing:
    started, first, event = time.perf_counter(), NAN, ""
    with http.stream("POST", "/v1/chat", json={"message": question}, headers={"Accept": "text/event-stream"}) as r:
        r.raise_for_status()
        for line in r.iter_lines():
            if line.startswith("event: "):
                event = line.removeprefix("event: ")
                if event == "token" and math.isnan(first):
                    first = time.perf_counter() - started
            elif event == "error":
                raise RuntimeError(line)
    assert event == "final", event
    return first, time.perf_counter() - started


def has_answer_text(chat: list[dict[str, Any]]) -> bool:
    """An assistant message that is not a tool chip, with text in it."""
    return any(
        m["role"] == "assistant" and not m.get("metadata") and any(part.get("text") for part in m["content"])
        for m in chat
    )


class PageSession:
    """One browser session as the page's JavaScript client holds it: one session hash, one keep-alive connection,
    each event a `POST queue/join` followed by the session's event stream until that event completes."""

    def __init__(self, base: str) -> None:
        self.http = httpx.Client(base_url=f"{base}/ui/gradio_api", timeout=120)
        config = httpx.get(f"{base}/ui/config").json()
        self.dependencies = config["dependencies"]
        self.fn = {d["api_name"]: i for i, d in enumerate(self.dependencies) if d.get("api_name")}
        self.session_hash = uuid.uuid4().hex[:11]

    def call(self, api_name: str, *args: Any, on_update: Callable[[list], None] | None = None) -> list:
        """The event's last output values; `on_update` sees every update's values (streamed ones are diffs)."""
        from gradio_client.utils import apply_diff

        fn = self.fn[api_name]
        data = [*args] + [None] * (len(self.dependencies[fn]["inputs"]) - len(args))  # states: kept by the server
        joined = self.http.post(
            "/queue/join", json={"data": data, "fn_index": fn, "session_hash": self.session_hash, "event_data": None}
        )
        joined.raise_for_status()
        event_id, values = joined.json()["event_id"], None
        with self.http.stream("GET", "/queue/data", params={"session_hash": self.session_hash}) as stream:
            for line in stream.iter_lines():
                if not line.startswith("data:"):
                    continue
                message = json.loads(line[5:])
                if message.get("event_id") != event_id:
                    continue
                if message["msg"] == "process_generating":
                    update = message["output"]["data"]  # the first whole, then what changed
                    values = update if values is None else list(map(apply_diff, values, update))
                elif message["msg"] == "process_completed":
                    assert message["success"], message
                    values = message["output"]["data"]
                else:
                    continue
                if on_update is not None:
                    on_update(values)
                if message["msg"] == "process_completed":
                    return values
        raise RuntimeError(f"{api_name}: the event stream ended before the event completed")


def ui_turn(page: PageSession, question: str) -> Timing:
    page.call("new_conversation")  # a new conversation each time, as the API turns have
    started, first = time.perf_counter(), [NAN]

    def seen(values: list) -> None:
        if math.isnan(first[0]) and has_answer_text(values[0]):
            first[0] = time.perf_counter() - started

    chat = page.call("chat", question, on_update=seen)[0]
    assert chat and chat[-1]["role"] == "assistant", chat
    return first[0], time.perf_counter() - started


def gradio_client_turn(session: Any, question: str) -> Timing:
    session.predict(api_name="/new_conversation")
    started = time.perf_counter()
    history, _credits = session.predict(question, api_name="/chat")
    assert history and history[-1]["role"] == "assistant", history
    return NAN, time.perf_counter() - started


# One turn timed inside the page (Playwright's own click and polling would add their delays): click Send, then
# watch the DOM for the first answer text (a bot message that is not a tool chip, those are `.thought-group`s) and
# for the end of the turn (the answer there, Stop gone, Send enabled again). The DOM is read once per frame, at the
# frame: reading layout (innerText, offsetParent) in every mutation would force the page to lay itself out many
# times per update and slow down what is measured.
BROWSER_TURN_JS = """() => new Promise((resolve, reject) => {
  const answered = () => [...document.querySelectorAll('#chat-history [data-testid=bot]')]
    .some((m) => !m.querySelector('.thought-group') && m.textContent.trim().length > 0);
  const done = () => {
    const stop = document.querySelector('#chat-stop'), send = document.querySelector('#chat-send');
    return (!stop || stop.offsetParent === null) && send && !send.disabled;
  };
  const started = performance.now();
  let first = null, scheduled = false;
  const check = (now) => {
    scheduled = false;
    if (first === null && answered()) first = now - started;
    if (first !== null && done()) { observer.disconnect(); resolve([first / 1000, (now - started) / 1000]); }
  };
  const observer = new MutationObserver(() => {
    if (!scheduled) { scheduled = true; requestAnimationFrame(check); }
  });
  observer.observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true});
  setTimeout(() => { observer.disconnect(); reject(new Error('no answer in 120 s')); }, 120000);
  document.querySelector('#chat-send').click();
})"""


def browser_turn(page: Any, question: str) -> Timing:
    page.locator("#chat-new").click()
    page.wait_for_function("() => !document.querySelector('#chat-history .message')", polling="raf")
    page.locator("#chat-input textarea").fill(question)
    first, total = page.evaluate(BROWSER_TURN_JS)
    return first, total


def open_browser(base: str) -> tuple[Any, Any]:
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"], headless=True
    )
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(f"{base}/ui/")
    page.locator("#signin-key input").fill(KEY)
    page.locator("#signin-button").click()
    page.locator("#signin-status", has_text="Signed in").wait_for()
    return playwright, page


# Figures --------------------------------------------------------------------------------------------------------
def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def ms(seconds: float) -> str:
    return "-" if math.isnan(seconds) else f"{seconds * 1000:,.0f}"


def report(times: dict[str, dict[str, list[Timing]]], model_first: float | None) -> dict[str, Any]:
    paths = list(next(iter(times.values())))
    others = [p for p in paths if p != "api"]
    head = f"{'question':<48} {'API p50':>8}" + "".join(f" {p + ' p50':>14} {'p90':>7} {'/API':>5}" for p in others)
    print(head)
    rows: list[dict[str, Any]] = []
    overall = {p: [t for m in times.values() for t in m[p]] for p in paths}
    for question, measured in [*times.items(), ("all", overall)]:
        api = statistics.median(t[1] for t in measured["api"])
        line, row = f"{question:<48} {ms(api):>8}", {"question": question, "api_p50_ms": api * 1000}
        for path in others:
            total = [t[1] for t in measured[path]]
            p50 = statistics.median(total)
            line += f" {ms(p50):>14} {ms(pct(total, 0.9)):>7} {p50 / api:>5.2f}"
            row[f"{path}_p50_ms"], row[f"{path}_ratio"] = p50 * 1000, p50 / api
        print(line)
        rows.append(row)
    firsts = {p: [t[0] for t in overall[p] if not math.isnan(t[0])] for p in paths}
    first_p50 = {p: statistics.median(v) for p, v in firsts.items() if v}
    if first_p50:
        print("first answer text, p50 / p90 ms:", end="")
        for path, values in firsts.items():
            if values:
                print(f"  {path} {ms(first_p50[path])} / {ms(pct(values, 0.9))}", end="")
        print()
        if model_first is not None:
            over = {p: (v - model_first) * 1000 for p, v in first_p50.items()}
            print(
                f"model first token {ms(model_first)} ms; over it (p50, goal <= 100 ms): "
                + "  ".join(f"{p} {v:+.0f} ms" for p, v in over.items())
            )
    return {"questions": rows, "first_token_p50_ms": {p: v * 1000 for p, v in first_p50.items()}}


def measure(base: str, args: argparse.Namespace) -> dict[str, dict[str, list[Timing]]]:
    """Warm-up, then every question `--rounds` times through every path, alternating."""
    http = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {KEY}"}, timeout=120)
    page_session = PageSession(base)
    page_session.call("sign_in", "", KEY)
    paths: dict[str, Callable[[str], Timing]] = {
        "api": (lambda q: sse_turn(http, q)) if args.model_latency else (lambda q: api_turn(http, q)),
        "ui": lambda q: ui_turn(page_session, q),
    }
    playwright = None
    try:
        if args.browser:
            playwright, page = open_browser(base)
            paths["browser"] = lambda q: browser_turn(page, q)
        if args.gradio_client:
            from gradio_client import Client

            session = Client(f"{base}/ui/", verbose=False)
            session.predict(KEY, None, api_name="/sign_in")
            paths["gradio_client"] = lambda q: gradio_client_turn(session, q)
        for question in QUESTIONS:  # warm-up: models and caches loaded on every path
            for turn in paths.values():
                turn(question)
        times: dict[str, dict[str, list[Timing]]] = {q: {p: [] for p in paths} for q in QUESTIONS}
        for _ in range(args.rounds):
            for question in QUESTIONS:
                for path, turn in paths.items():
                    times[question][path].append(turn(question))
        return times
    finally:
        if playwright is not None:
            playwright.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--browser", action="store_true", help="also the page in headless Chromium")
    parser.add_argument("--gradio-client", action="store_true", help="also gradio_client's predict (reference)")
    parser.add_argument("--model-latency", type=float, help="seconds per model call: Gemini through a local fake")
    parser.add_argument("--first-token-fraction", type=float, default=0.5)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--url", help="measure a server already running with the demo data (and its model)")
    parser.add_argument("--serve", nargs=3, metavar=("PORT", "EMULATOR", "DATA_DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(int(args.serve[0]), args.serve[1], args.serve[2])
        return 0
    # Every question of the fake is a tool turn: a function call (one call), then the answer's first chunk.
    model_first = args.model_latency * (1 + args.first_token_fraction) if args.model_latency else None
    times = measure(args.url, args) if args.url else run_server_and_measure(args)
    what = f"Gemini via a local fake, {args.model_latency} s per call" if args.model_latency else "offline model"
    print(f"{args.rounds} rounds, {what}; UI / API goal <= 1.3")
    figures = report(times, model_first)
    if args.json:
        args.json.write_text(json.dumps({"rounds": args.rounds, "model": what, **figures}, indent=2))
    return 0


def run_server_and_measure(args: argparse.Namespace) -> dict[str, dict[str, list[Timing]]]:
    from domain.emulator import FirestoreEmulator, free_port

    emulator = FirestoreEmulator().start()
    port = free_port()
    env = {
        **os.environ,
        "FIRESTORE_EMULATOR_HOST": emulator.address,
        "FLUXORI_MODE": "local",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "benchmarks"), str(ROOT)]),
    }
    fake: subprocess.Popen | None = None
    if args.model_latency:
        fake_port = free_port()
        fake = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "benchmarks" / "fake_gemini.py"),
                *("--port", str(fake_port), "--latency", str(args.model_latency)),
                *("--first-token-fraction", str(args.first_token_fraction)),
            ],
            env=env,
        )
        env |= {"FLUXORI_LLM_PROVIDER": "vertex", "FLUXORI_BENCH_GEMINI_URL": f"http://127.0.0.1:{fake_port}"}
    with tempfile.TemporaryDirectory(prefix="bench-ui-") as data_dir:
        server = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--serve", str(port), emulator.address, data_dir],
            env=env,
            cwd=data_dir,  # no stray .env of the repository
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_ready(base, server)
            return measure(base, args)
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:  # open event streams keep uvicorn's graceful shutdown waiting
                server.kill()
            if fake is not None:
                fake.terminate()
            emulator.stop()


if __name__ == "__main__":
    raise SystemExit(main())
