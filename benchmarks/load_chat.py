"""Load benchmark of the HTTP API: concurrent chat clients against a real server on loopback.

Two models: the offline one (default; CPU-bound, in-process, what the demo runs) or, with `--model-latency S`,
Gemini on Vertex AI through the real `langchain-google-genai` client pointed at a local fake of its API
(benchmarks/fake_gemini.py, its own process) that takes S seconds per call and streams text in chunks: what a
production instance does, waiting on the model. A tool turn is then two calls, 2 x S of model time.

What it does, in one run:
1. starts a Firestore emulator (domain.emulator) and seeds the demo data into a fresh project;
2. starts the API server (`uvicorn` in a subprocess on a free port, local mode, offline chat model) and waits for
   /readyz (models loaded);
3. baseline: /healthz under the same concurrency, for the throughput ratio (what the HTTP stack alone costs);
4. chat: N concurrent clients (httpx, async, one connection each) for D seconds asking varied read questions of
   both demo organisations (stock, orders, low stock, sales, shipments, duty, credits), merchant and support keys;
   With `--model-latency`, a share of the clients (`--sse-share`) asks with `Accept: text/event-stream` and times
   the first `token` event against the fake's (model time to the first token: S for the tool call, then the
   fraction `--first-token-fraction` of S for the answer's first chunk);
5. reports throughput, latency p50/p95/p99, errors, CPU seconds per request of the server and of the emulator;
   last, one line `chats_per_s=X ideal=Y p95_overhead_ms=Z cpu_ms_per_chat=W` (ideal = clients / model seconds
   per turn; overhead = turn time minus model time; CPU: the server's; offline: ideal and overhead are n/a);
6. checks afterwards that every organisation's credit ledger sums to its balance and no reservation is open.

Run: `.venv/bin/python benchmarks/load_chat.py [--clients 16] [--duration 30] [--workers 1] [--json out.json]`
     `.venv/bin/python benchmarks/load_chat.py --model-latency 1 --clients 100 --duration 30`
(add `--profile prof.txt` to sample the server with py-spy during the chat phase; `pip install py-spy`).
The rate limit is raised for the run (FLUXORI_RATE_LIMIT_PER_MINUTE), and each demo organisation gets ample credits
and daily quota: this measures capacity, not the limiter or the balances.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ORGS = {"bergveld": ("BV", ["TENT", "LAMP", "BAG", "BOOT"]), "fynbos": ("FG", ["SERUM", "SUN", "LIP", "OIL"])}
CITIES = ["Johannesburg", "Cape Town", "Durban", "JHB", "CPT", "DBN"]
TEMPLATES = [
    "how many {sku} do we have in {city}?",
    "stock of {sku}",
    "what is the status of order {order}?",
    "where is order {order}",
    "which products are running low?",
    "show pending takealot orders",
    "list amazon orders from this week",
    "how are sales this month by channel?",
    "which shipments are at customs?",
    "what is the duty rate for HS code 6306.22?",
    "how many credits do I have left?",
    "do we sell headlamps?",
]


# Server side ---------------------------------------------------------------------------------------------------
def server_app():
    from app.api.app import create_app
    from app.wiring import Services
    from assistant.settings import Settings

    services = Services(Settings())
    gemini_url = os.environ.get("FLUXORI_BENCH_GEMINI_URL")
    if gemini_url:  # the product's Gemini client, sent to the fake (a base URL is a client argument, not a setting)
        from fake_gemini import chat_model_for

        services.override("chat_model", chat_model_for(gemini_url, services.settings))
    return create_app(services)


def serve(port: int, workers: int) -> None:
    import uvicorn

    uvicorn.run(
        "load_chat:server_app",
        factory=True,
        host="127.0.0.1",
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,  # the app writes its own JSON access line per request (kept: it is production cost)
    )


# Client side ---------------------------------------------------------------------------------------------------
@dataclass
class Phase:
    name: str
    latencies: list[float] = field(default_factory=list)
    by_tool: dict[str, list[float]] = field(default_factory=dict)  # chat latencies by the tool the answer used
    overheads: list[float] = field(default_factory=list)  # turn time minus model time (fake model only)
    first_tokens: list[float] = field(default_factory=list)  # SSE: first `token` event minus the model's
    errors: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def done(self) -> int:
        return len(self.latencies)

    def pct(self, q: float, latencies: list[float] | None = None) -> float:
        ordered = sorted(self.latencies if latencies is None else latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    def summary(self) -> dict:
        tools = {
            tool: {
                "n": len(values),
                "p50_ms": round(self.pct(0.5, values), 1),
                "p95_ms": round(self.pct(0.95, values), 1),
            }
            for tool, values in sorted(self.by_tool.items(), key=lambda kv: -len(kv[1]))
        }
        return {
            "phase": self.name,
            "requests_ok": self.done,
            "errors": sum(self.errors.values()),
            "error_kinds": self.errors,
            "seconds": round(self.seconds, 1),
            "throughput_rps": round(self.done / self.seconds, 1) if self.seconds else 0,
            "p50_ms": round(self.pct(0.50), 1),
            "p95_ms": round(self.pct(0.95), 1),
            "p99_ms": round(self.pct(0.99), 1),
            "mean_ms": round(statistics.fmean(self.latencies) * 1000, 1) if self.latencies else None,
            **({"by_tool": tools} if tools else {}),
            **(
                {
                    "overhead_p50_ms": round(self.pct(0.5, self.overheads), 1),
                    "overhead_p95_ms": round(self.pct(0.95, self.overheads), 1),
                }
                if self.overheads
                else {}
            ),
            **(
                {
                    "sse_turns": len(self.first_tokens),
                    "first_token_delay_p50_ms": round(self.pct(0.5, self.first_tokens), 1),
                    "first_token_delay_p95_ms": round(self.pct(0.95, self.first_tokens), 1),
                }
                if self.first_tokens
                else {}
            ),
        }


def question(rng: random.Random, org: str, skus: list[str]) -> str:
    template = rng.choice(TEMPLATES)
    return template.format(sku=rng.choice(skus), city=rng.choice(CITIES), order=rng.randint(1001, 1500))


@dataclass
class Model:
    """The fake model's timing, to subtract it from what the clients see (None: the offline model)."""

    latency: float
    first_token_fraction: float

    def turn_seconds(self, actions: list) -> float:
        return self.latency * (2 if actions else 1)  # a tool call, then the answer; or the answer alone

    def first_token_seconds(self, actions: list) -> float:
        return self.latency * ((1 if actions else 0) + self.first_token_fraction)


async def _sse_turn(http: httpx.AsyncClient, url: str, kwargs: dict, started: float) -> tuple[int, dict, float]:
    """POSTs with Accept: text/event-stream; returns the status, the final event's data and the first token's time."""
    headers = {**kwargs.get("headers", {}), "Accept": "text/event-stream"}
    first_token, final, event = float("nan"), {}, ""
    async with http.stream("POST", url, json=kwargs["json"], headers=headers) as response:
        if response.status_code != 200:
            return response.status_code, {}, first_token
        async for line in response.aiter_lines():
            if line.startswith("event: "):
                event = line.removeprefix("event: ")
                if event == "token" and math.isnan(first_token):
                    first_token = time.perf_counter() - started
            elif line.startswith("data: ") and event in ("final", "error"):
                final = json.loads(line.removeprefix("data: ")) if event == "final" else {}
                if event == "error":
                    return 500, {}, first_token
    return 200, final, first_token


async def run_phase(
    base: str, phase: Phase, clients: int, seconds: float, make_request, model: Model | None = None, sse_every=0
) -> None:
    deadline = time.perf_counter() + seconds

    async def client_loop(index: int) -> None:
        rng = random.Random(index)
        sse = bool(sse_every) and index % sse_every == 0
        limits = httpx.Limits(max_connections=1)
        async with httpx.AsyncClient(base_url=base, timeout=60.0, limits=limits) as http:
            while time.perf_counter() < deadline:
                method, url, kwargs = make_request(rng)
                started = time.perf_counter()
                try:
                    if sse and url == "/v1/chat":
                        status, answer, first_token = await _sse_turn(http, url, kwargs, started)
                    else:
                        response = await http.request(method, url, **kwargs)
                        status, first_token = response.status_code, float("nan")
                        answer = response.json() if status == 200 and url == "/v1/chat" else {}
                    elapsed = time.perf_counter() - started
                    if status == 200:
                        phase.latencies.append(elapsed)
                        if url == "/v1/chat":
                            actions = answer.get("actions") or []
                            phase.by_tool.setdefault((actions or [{"tool": "(no tool)"}])[0]["tool"], []).append(
                                elapsed
                            )
                            if model is not None:
                                phase.overheads.append(elapsed - model.turn_seconds(actions))
                                if not math.isnan(first_token):
                                    phase.first_tokens.append(first_token - model.first_token_seconds(actions))
                    else:
                        key = str(status)
                        phase.errors[key] = phase.errors.get(key, 0) + 1
                except httpx.HTTPError as exc:
                    key = type(exc).__name__
                    phase.errors[key] = phase.errors.get(key, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(client_loop(i) for i in range(clients)))
    phase.seconds = time.perf_counter() - started


def cpu_seconds(pids: list[int]) -> float:
    """utime + stime of the processes and their waited-for children, from /proc (Linux)."""
    total = 0
    tick = os.sysconf("SC_CLK_TCK")
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += sum(int(v) for v in fields[11:15])  # utime, stime, cutime, cstime
    return total / tick


def process_tree(root: int) -> list[int]:
    pids, frontier = [root], [root]
    while frontier:
        pid = frontier.pop()
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except FileNotFoundError:
            continue
        pids += [int(c) for c in children]
        frontier += [int(c) for c in children]
    return pids


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of chat load")
    parser.add_argument("--baseline-duration", type=float, default=10.0, help="seconds of /healthz load")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds of chat load before measuring")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument(
        "--model-latency", type=float, help="seconds per model call: Gemini through a local fake (default: offline)"
    )
    parser.add_argument("--first-token-fraction", type=float, default=0.5, help="of the latency, to the first chunk")
    parser.add_argument("--sse-every", type=int, default=4, help="every Nth client streams (fake model only)")
    parser.add_argument("--json", type=Path, help="write the results here too")
    parser.add_argument("--profile", type=Path, help="py-spy the server during the chat phase (raw stacks)")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)  # internal: run the server on this port
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.workers)
        return 0

    from app.wiring import Services
    from assistant.settings import Settings
    from domain.demo import seed
    from domain.emulator import FirestoreEmulator, free_port
    from domain.store import Store, make_client

    project = f"bench-{uuid.uuid4().hex[:8]}"
    data_dir = Path(tempfile.mkdtemp(prefix="fluxori-bench-"))
    emulator = FirestoreEmulator().start()
    server: subprocess.Popen[bytes] | None = None
    fake: subprocess.Popen[bytes] | None = None
    model = Model(args.model_latency, args.first_token_fraction) if args.model_latency else None
    profiler: subprocess.Popen[bytes] | None = None
    try:
        store = Store.connect(make_client(project, emulator_host=emulator.address))
        t0 = time.perf_counter()
        seed(store)
        print(f"seeded {project} in {time.perf_counter() - t0:.1f} s", flush=True)
        services = Services(Settings(project=project, data_dir=data_dir), store=store)
        for org in ORGS:  # credits and quota for any load (Gemini's price runs the demo balances dry in seconds)
            services.credits.grant(org, 10**12, f"bench-{project}", "load benchmark")
            services.credits.set_daily_quota(org, 10**12)
        skus = {org: [snap.id for snap in store.col(org, "products").limit(60).stream()] for org in ORGS}

        port = free_port()
        model_env: dict[str, str] = {}
        if model is not None:
            fake_port = free_port()
            fake = subprocess.Popen(
                [
                    sys.executable,
                    str(ROOT / "benchmarks" / "fake_gemini.py"),
                    "--port",
                    str(fake_port),
                    "--latency",
                    str(model.latency),
                    "--first-token-fraction",
                    str(model.first_token_fraction),
                ],
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )
            model_env = {"FLUXORI_LLM_PROVIDER": "vertex", "FLUXORI_BENCH_GEMINI_URL": f"http://127.0.0.1:{fake_port}"}
        env = {
            **os.environ,
            "FLUXORI_MODE": "local",
            "FLUXORI_PROJECT": project,
            "FLUXORI_DATA_DIR": str(data_dir),
            "FIRESTORE_EMULATOR_HOST": emulator.address,
            "FLUXORI_RATE_LIMIT_PER_MINUTE": "1000000",
            "PYTHONPATH": os.pathsep.join([str(ROOT / "benchmarks"), str(ROOT)]),
            **model_env,
        }
        log_path = data_dir / "server.log"
        with log_path.open("wb") as log:
            server = subprocess.Popen(
                [sys.executable, str(Path(__file__).resolve()), "--serve", str(port), "--workers", str(args.workers)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=data_dir,  # no stray .env of the repository
            )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 180
        while True:
            if server.poll() is not None:
                raise SystemExit(f"the server exited; its log: {log_path}")
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"the server was not ready within 180 s; its log: {log_path}")
            time.sleep(0.5)
        what = f"Gemini via a local fake, {model.latency} s per call" if model else "offline model"
        print(f"server ready on {base} (workers={args.workers}, {what})", flush=True)

        def health_request(rng: random.Random) -> tuple[str, str, dict]:
            return "GET", "/healthz", {}

        def chat_request(rng: random.Random) -> tuple[str, str, dict]:
            org = rng.choice(list(ORGS))
            role = "support" if rng.random() < 0.15 else "merchant"
            headers = {"Authorization": f"Bearer fx_demo_{org}_{role}"}
            return "POST", "/v1/chat", {"json": {"message": question(rng, org, skus[org])}, "headers": headers}

        server_pids = process_tree(server.pid)
        emulator_pids = process_tree(emulator._process.pid) if emulator._process else []

        baseline = Phase("healthz")
        asyncio.run(run_phase(base, baseline, args.clients, args.baseline_duration, health_request))
        print(json.dumps(baseline.summary()), flush=True)
        if args.warmup:
            asyncio.run(run_phase(base, Phase("warmup"), args.clients, args.warmup, chat_request))

        if args.profile:
            if not shutil.which("py-spy") and not (Path(sys.executable).parent / "py-spy").exists():
                raise SystemExit("--profile needs py-spy: .venv/bin/pip install py-spy")
            spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
            target = server_pids[-1] if args.workers > 1 else server.pid
            profiler = subprocess.Popen(
                [
                    spy,
                    "record",
                    "--format",
                    "raw",
                    "-o",
                    str(args.profile),
                    "-d",
                    str(int(args.duration)),
                    "-p",
                    str(target),
                    "--rate",
                    "50",
                    "--threads",
                    "--nonblocking",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        chat = Phase("chat")
        fake_pids = [fake.pid] if fake is not None else []
        bench_pid = [os.getpid()]
        cpu_before = [cpu_seconds(p) for p in (server_pids, emulator_pids, fake_pids, bench_pid)]
        load_before = os.getloadavg()[0]
        sse_every = args.sse_every if model is not None else 0
        asyncio.run(run_phase(base, chat, args.clients, args.duration, chat_request, model, sse_every))
        cpu_after = [cpu_seconds(p) for p in (process_tree(server.pid), emulator_pids, fake_pids, bench_pid)]
        if profiler is not None:
            profiler.wait(timeout=60)

        ledger = {}
        for org in ORGS:
            account = services.credits.account(org)
            total = services.credits.ledger_total(org)
            open_reservations = sum(
                1 for snap in store.col(org, "reservations").stream() if snap.get("status") == "open"
            )
            ledger[org] = {
                "balance_mc": account.balance_mc,
                "ledger_total_mc": total,
                "consistent": total == account.balance_mc,
                "open_reservations": open_reservations,
            }

        handled = chat.done + sum(chat.errors.values())
        cpu_ms = [
            round((after - before) / max(1, handled) * 1000, 1)
            for before, after in zip(cpu_before, cpu_after, strict=True)
        ]
        results = {
            "clients": args.clients,
            "workers": args.workers,
            "model": f"gemini fake, {model.latency} s per call" if model else "offline",
            "cpus": os.cpu_count(),
            "loadavg_1m_before_chat": round(load_before, 2),
            "loadavg_1m_after_chat": round(os.getloadavg()[0], 2),
            "baseline": baseline.summary(),
            "chat": chat.summary(),
            "chat_vs_healthz_throughput": round((chat.done / chat.seconds) / (baseline.done / baseline.seconds), 4)
            if baseline.done and chat.seconds
            else None,
            "server_cpu_ms_per_chat": cpu_ms[0],
            "emulator_cpu_ms_per_chat": cpu_ms[1],
            "fake_model_cpu_ms_per_chat": cpu_ms[2] if model else None,
            "load_generator_cpu_ms_per_chat": cpu_ms[3],
            "ledger": ledger,
        }
        print(json.dumps(results, indent=2))
        if args.json:
            args.json.write_text(json.dumps(results, indent=2))
        ok = all(v["consistent"] and v["open_reservations"] == 0 for v in ledger.values())
        print("ledger check:", "OK, every ledger sums to its balance" if ok else "FAILED")
        rate = chat.done / chat.seconds if chat.seconds else 0.0
        ideal = f"{args.clients / (2 * model.latency):.1f}" if model else "n/a"
        overhead = f"{chat.pct(0.95, chat.overheads):.0f}" if model else "n/a"
        print(f"chats_per_s={rate:.1f} ideal={ideal} p95_overhead_ms={overhead} cpu_ms_per_chat={cpu_ms[0]}")
        return 0 if ok else 1
    finally:
        if profiler is not None and profiler.poll() is None:
            profiler.terminate()
        if fake is not None:
            fake.terminate()
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
        emulator.stop()


if __name__ == "__main__":
    raise SystemExit(main())
