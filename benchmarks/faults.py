"""Fault benchmark: what is lost, and how fast the API answers, when things fail.

1. kill -9 of the server during writes: a local-mode process (tests/faults/writer.py: its own emulator with its
   guard, as `fluxori serve` runs it) writes credit grants as fast as it can and is killed; a fresh start counts
   what survived. Reports acknowledged writes and writes lost, per round.
2. kill -9 of the emulator during writes: the same, killing the emulator's process group instead; reports writes
   lost and the age of the oldest lost write at the kill (the guarantee: at most 10 s).
3. outage response time: the API (TestClient, real app and service) on an emulator that is then killed (or
   frozen with SIGSTOP): time of GET /v1/credits, POST /v1/chat and GET /readyz.
4. reservations left open: requests cut off by a crash (reservations taken, never settled), then one recovery
   sweep past the TTL: open reservations before and after, and whether the ledger still sums to the balance.

Run: `.venv/bin/python benchmarks/faults.py [--rounds 3] [--write-seconds 6]`
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.faults.conftest import count_grants, local_env, start_writer  # noqa: E402


def _acks(writer, seconds: float) -> list[tuple[int, float]]:
    acks, until = [], time.monotonic() + seconds
    while time.monotonic() < until and (line := writer.stdout.readline()):
        if line.startswith("ack"):
            _, number, at = line.split()
            acks.append((int(number), float(at)))
    return acks


def _rest(writer) -> list[tuple[int, float]]:
    return [
        (int(p[1]), float(p[2])) for p in (line.split() for line in writer.stdout.read().splitlines()) if p[0] == "ack"
    ]


def kill_server_round(tmp: Path, seconds: float) -> tuple[int, int]:
    env = local_env(tmp)
    writer = start_writer(env)
    assert writer.stdout.readline().startswith("ready")
    acks = _acks(writer, seconds)
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    acks += _rest(writer)
    kept = count_grants(env)
    return len(acks), max(0, acks[-1][0] - kept)


def kill_emulator_round(tmp: Path, seconds: float) -> tuple[int, int, float]:
    from domain.emulator import read_owner

    env = local_env(tmp)
    writer = start_writer(env)
    assert writer.stdout.readline().startswith("ready")
    acks = _acks(writer, seconds)
    killed_at = time.time()
    os.killpg(read_owner(tmp / "firestore")["pgid"], signal.SIGKILL)
    writer.wait(timeout=60)
    acks += _rest(writer)
    kept = count_grants(env)
    lost = [at for number, at in acks if number > kept]
    return len(acks), len(lost), (killed_at - min(lost)) if lost else 0.0


def outage(tmp: Path, freeze: bool) -> dict[str, float]:
    from fastapi.testclient import TestClient

    from app.api.app import create_app
    from app.wiring import Services
    from assistant.settings import Settings
    from domain.emulator import FirestoreEmulator
    from domain.orgs import Role
    from domain.store import Store, make_client

    emulator = FirestoreEmulator().start()
    try:
        project = f"bench-{uuid.uuid4().hex[:8]}"
        services = Services(
            Settings(project=project, data_dir=tmp),
            store=Store.connect(make_client(project, emulator_host=emulator.address)),
        )
        services.orgs.create("bench-org", "Bench")
        services.credits.open_account("bench-org")
        services.credits.grant("bench-org", 50_000, "opening")
        headers = {"Authorization": f"Bearer {services.api_keys.create('bench-org', Role.merchant)}"}
        times = {}
        with TestClient(create_app(services)) as client:
            _ = services.assistant
            client.get("/v1/credits", headers=headers)
            os.killpg(emulator.pid, signal.SIGSTOP if freeze else signal.SIGKILL)
            for name, method, path, body in (
                ("GET /readyz", "GET", "/readyz", None),
                ("GET /v1/credits", "GET", "/v1/credits", None),
                ("POST /v1/chat", "POST", "/v1/chat", {"message": "hello"}),
            ):
                started = time.monotonic()
                status = client.request(method, path, headers=headers, json=body).status_code
                times[f"{name} ({status})"] = time.monotonic() - started
        return times
    finally:
        if freeze:
            os.killpg(emulator.pid, signal.SIGCONT)
        emulator.stop()


def reservations_left_open(emulator_address: str, crashed: int = 25) -> tuple[int, int, bool]:
    from domain.credits import CreditsRepository
    from domain.recovery import RESERVATION_TTL, sweep_reservations
    from domain.store import Store, make_client, utcnow

    store = Store.connect(make_client(f"bench-{uuid.uuid4().hex[:8]}", emulator_host=emulator_address))
    credits = CreditsRepository(store)
    store.org("bench-org").set({"id": "bench-org", "name": "Bench"})
    credits.open_account("bench-org")
    credits.grant("bench-org", 100_000, "opening")
    for n in range(crashed):  # requests whose server died after reserving
        credits.reserve("bench-org", f"cut-off-{n}", 960)
    later = utcnow() + RESERVATION_TTL + timedelta(minutes=1)
    before = len(credits.open_reservations("bench-org", older_than=later))
    sweep_reservations(credits, "bench-org", now=later)  # the sweep once the TTL has passed
    after = len(credits.open_reservations("bench-org", older_than=later))
    exact = credits.ledger_total("bench-org") == credits.account("bench-org").balance_mc
    return before, after, exact


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--write-seconds", type=float, default=6.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fluxori-faults-") as tmp_name:
        tmp = Path(tmp_name)
        print("kill -9 of the server during writes")
        for n in range(args.rounds):
            acked, lost = kill_server_round(tmp / f"server-{n}", args.write_seconds)
            print(f"  round {n + 1}: {acked} writes acknowledged, {lost} lost")
        print("kill -9 of the emulator during writes")
        for n in range(args.rounds):
            acked, lost, age = kill_emulator_round(tmp / f"emulator-{n}", args.write_seconds)
            print(
                f"  round {n + 1}: {acked} writes acknowledged, {lost} lost (oldest lost: {age:.1f} s before the kill)"
            )
        for freeze in (False, True):
            print(f"outage: emulator {'frozen (SIGSTOP)' if freeze else 'killed (kill -9)'}")
            for name, seconds in outage(tmp / f"outage-{freeze}", freeze).items():
                print(f"  {name}: {seconds:.2f} s")
        from domain.emulator import FirestoreEmulator

        with FirestoreEmulator() as emulator:
            before, after, exact = reservations_left_open(emulator.address)
        print(f"reservations of crashed requests: {before} open before the sweep, {after} after; ledger exact: {exact}")


if __name__ == "__main__":
    main()
