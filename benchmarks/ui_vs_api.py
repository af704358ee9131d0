"""One chat turn through the web UI against the same turn through the HTTP API, on one real server.

What it does:
1. starts a Firestore emulator and a server subprocess (the FastAPI app with the Gradio UI at /ui, local mode,
   offline model, demo data and the demo help centre indexed for `bergveld`);
2. warms both paths up (models loaded), then asks each question `--rounds` times through each path, alternating:
   the API as `POST /v1/chat` (JSON, a new conversation each time), the UI as gradio_client's `/chat` in one
   browser-like session (the streamed answer, every update, until its last one);
3. prints the median and p90 per question and overall, and the ratio UI / API (goal: <= 1.3).

Run: `.venv/bin/python benchmarks/ui_vs_api.py [--rounds 5] [--json out.json]`
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


def serve(port: int, emulator: str, data_dir: str) -> None:
    """The server process: seed, index the demo help centre, serve."""
    import uvicorn

    from app.api.app import create_app
    from app.wiring import Services
    from assistant.settings import Settings
    from domain.demo import seed
    from domain.store import Store, make_client
    from ingestion.pipeline import ingest_kb

    store = Store.connect(make_client("bench-ui", emulator_host=emulator))
    seed(store)
    settings = Settings(mode="local", project="bench-ui", data_dir=Path(data_dir), rate_limit_per_minute=100_000)
    services = Services(settings, store=store)
    ingest_kb(services, "bergveld", ROOT / "ingestion" / "demo_kb")
    uvicorn.run(create_app(services), host="127.0.0.1", port=port, log_level="warning", access_log=False)


def wait_ready(base: str, process: subprocess.Popen, timeout: float = 600) -> None:
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


def api_turn(http: httpx.Client, question: str) -> float:
    started = time.perf_counter()
    response = http.post("/v1/chat", json={"message": question})
    response.raise_for_status()
    assert response.json()["answer"], response.text
    return time.perf_counter() - started


def ui_turn(session, question: str) -> float:
    session.predict(api_name="/new_conversation")  # a new conversation each time, as the API turns have
    started = time.perf_counter()
    history, _credits = session.predict(question, api_name="/chat")
    assert history and history[-1]["role"] == "assistant", history
    return time.perf_counter() - started


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--serve", nargs=3, metavar=("PORT", "EMULATOR", "DATA_DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(int(args.serve[0]), args.serve[1], args.serve[2])
        return 0

    from gradio_client import Client

    from domain.emulator import FirestoreEmulator, free_port

    emulator = FirestoreEmulator().start()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="bench-ui-") as data_dir:
        env = {**os.environ, "FIRESTORE_EMULATOR_HOST": emulator.address, "PYTHONPATH": str(ROOT)}
        server = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(port), emulator.address, data_dir], env=env, cwd=ROOT
        )
        try:
            wait_ready(base, server)
            http = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {KEY}"}, timeout=120)
            session = Client(f"{base}/ui/", verbose=False)
            session.predict(KEY, None, api_name="/sign_in")
            for question in QUESTIONS:  # warm-up: models and caches loaded on both paths
                api_turn(http, question)
                ui_turn(session, question)
            times: dict[str, dict[str, list[float]]] = {q: {"api": [], "ui": []} for q in QUESTIONS}
            for _ in range(args.rounds):
                for question in QUESTIONS:
                    times[question]["api"].append(api_turn(http, question))
                    times[question]["ui"].append(ui_turn(session, question))
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:  # open event streams keep uvicorn's graceful shutdown waiting
                server.kill()
            emulator.stop()

    rows = []
    print(f"{'question':<48} {'API p50 ms':>10} {'UI p50 ms':>10} {'UI p90 ms':>10} {'UI/API':>7}")
    for question, measured in times.items():
        api, ui = statistics.median(measured["api"]), statistics.median(measured["ui"])
        rows.append({"question": question, "api_p50_ms": api * 1000, "ui_p50_ms": ui * 1000, "ratio": ui / api})
        print(
            f"{question:<48} {api * 1000:>10.0f} {ui * 1000:>10.0f} {pct(measured['ui'], 0.9) * 1000:>10.0f} "
            f"{ui / api:>7.2f}"
        )
    all_api = [t for m in times.values() for t in m["api"]]
    all_ui = [t for m in times.values() for t in m["ui"]]
    ratio = statistics.median(all_ui) / statistics.median(all_api)
    print(
        f"{'all':<48} {statistics.median(all_api) * 1000:>10.0f} {statistics.median(all_ui) * 1000:>10.0f} "
        f"{pct(all_ui, 0.9) * 1000:>10.0f} {ratio:>7.2f}"
    )
    if args.json:
        args.json.write_text(json.dumps({"rounds": args.rounds, "questions": rows, "ratio": ratio}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
