"""CPU and Firestore round trips of one chat turn, turns run one after another (no load, so no machine noise).

The chat route's path (`ChatService.chat`) with the product's Gemini client pointed at benchmarks/fake_gemini.py
(20 ms per call), a real Firestore emulator and the seeded demo data. Prints the process CPU per turn, the
Firestore RPCs per turn (counted on the client's transport) and the CPU of a credit reservation and its settlement.

Run: `.venv/bin/python benchmarks/turn_cpu.py [--turns 60]`
"""

from __future__ import annotations

import argparse
import collections
import os
import random
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
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]


def _counted(inner: Callable[..., Any], name: str, rpcs: collections.Counter[str]) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        rpcs[name] += 1
        return inner(*args, **kwargs)

    return call


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--turns", type=int, default=60)
    args = parser.parse_args()

    import load_chat
    from fake_gemini import chat_model_for

    from app.wiring import Services
    from assistant.contracts import ChatRequest
    from assistant.settings import Settings
    from domain.demo import seed
    from domain.emulator import FirestoreEmulator, free_port
    from domain.orgs import Principal, Role
    from domain.store import Store, make_client

    emulator = FirestoreEmulator().start()
    port = free_port()
    fake = subprocess.Popen(
        [sys.executable, str(ROOT / "benchmarks" / "fake_gemini.py"), "--port", str(port), "--latency", "0.02"],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        project = f"turn-{uuid.uuid4().hex[:8]}"
        store = Store.connect(make_client(project, emulator_host=emulator.address))
        seed(store)
        services = Services(Settings(project=project, data_dir=Path(tempfile.mkdtemp())), store=store)
        for org in load_chat.ORGS:
            services.credits.grant(org, 10**12, f"bench-{project}")
            services.credits.set_daily_quota(org, 10**12)
        services.override("chat_model", chat_model_for(f"http://127.0.0.1:{port}", services.settings))
        for _ in range(100):  # the fake is up
            try:
                httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        chat = services.assistant
        skus = {org: [snap.id for snap in store.col(org, "products").limit(60).stream()] for org in load_chat.ORGS}
        rng = random.Random(1)

        def turn() -> None:
            org = rng.choice(list(load_chat.ORGS))
            principal = Principal(org_id=org, role=Role.merchant, key_id="bench", label="bench")
            message = load_chat.question(rng, org, skus[org])
            chat.chat(principal, ChatRequest(message=message), uuid.uuid4().hex)

        for _ in range(5):  # first-call costs (agent graph, connections) out of the figures
            turn()
        cpu = time.process_time()
        for _ in range(args.turns):
            request_id = uuid.uuid4().hex
            services.credits.reserve("bergveld", request_id, 5000)
            services.credits.settle("bergveld", request_id, 1000, {"bench": True})
        credits_ms = (time.process_time() - cpu) / args.turns * 1000

        rpcs: collections.Counter[str] = collections.Counter()
        transport = store.client._firestore_api._transport
        for method, inner in list(transport._wrapped_methods.items()):
            name = str(getattr(method, "_method", "?")).rsplit("/", 1)[-1].strip("'")
            transport._wrapped_methods[method] = _counted(inner, name, rpcs)
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(args.turns):
            turn()
        turn_ms = (time.process_time() - cpu) / args.turns * 1000
        wall_ms = (time.perf_counter() - wall) / args.turns * 1000
        per_turn = {name: round(n / args.turns, 2) for name, n in sorted(rpcs.items())}
        print(f"reserve+settle: {credits_ms:.1f} ms CPU")
        print(f"turn: {turn_ms:.1f} ms process CPU, {wall_ms:.0f} ms wall")
        print(f"firestore_rpcs_per_turn={sum(rpcs.values()) / args.turns:.2f} {per_turn}")
        return 0
    finally:
        fake.terminate()
        emulator.stop()


if __name__ == "__main__":
    raise SystemExit(main())
