"""Local mode survives crashes: kill -9 of the process that runs the emulator (the server) loses no
acknowledged write, and leaves no orphan; kill -9 of the emulator loses at most the last 10 s of writes.
Each test runs real processes (tests/faults/writer.py: local mode as `fluxori serve` runs it) on a data
directory and an emulator port of its own."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from domain.emulator import port_is_free, read_owner
from tests.faults.conftest import count_grants, local_env, start_writer

MAX_LOSS_SECONDS = 10.0


def _wait_ready(writer) -> None:
    line = writer.stdout.readline()
    assert line.startswith("ready"), line


def _acks_for(writer, seconds: float) -> list[tuple[int, float]]:
    """The (grant number, time) of each write acknowledged within `seconds`."""
    acks, until = [], time.monotonic() + seconds
    while time.monotonic() < until:
        line = writer.stdout.readline()
        if line.startswith("ack"):
            _, number, at = line.split()
            acks.append((int(number), float(at)))
        elif not line:
            break
    return acks


def test_kill_9_of_the_server_during_writes_loses_nothing(tmp_path: Path):
    env = local_env(tmp_path / "data")
    port = int(env["FLUXORI_EMULATOR_PORT"])
    writer = start_writer(env)
    try:
        _wait_ready(writer)
        acks = _acks_for(writer, 3.0)
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=10)
        acks += [(int(line.split()[1]), 0.0) for line in writer.stdout.read().splitlines() if line.startswith("ack")]
    finally:
        writer.kill()
    assert len(acks) > 20, "the writer should have acknowledged writes before it was killed"
    # The guard exports and stops the emulator: no orphan keeps the port.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not port_is_free("127.0.0.1", port):
        time.sleep(0.2)
    assert port_is_free("127.0.0.1", port), "the emulator outlived the server"
    assert count_grants(env) >= acks[-1][0]  # a restart finds every acknowledged write


def test_an_orphan_emulator_is_adopted_before_use(tmp_path: Path):
    """Server and guard both killed (kill -9 of both): the emulator lives on with data not yet exported; the
    next start exports it first, so nothing is lost either."""
    env = local_env(tmp_path / "data")
    writer = start_writer(env)
    try:
        _wait_ready(writer)
        acks = _acks_for(writer, 2.0)
        watching = f"domain.emulator_guard\0--parent\0{writer.pid}\0"
        guard_pids = [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and watching in _cmdline(p)]
        assert guard_pids, "a guard watches the writer"
        for pid in guard_pids:
            os.kill(pid, signal.SIGKILL)
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=10)
        acks += [(int(line.split()[1]), 0.0) for line in writer.stdout.read().splitlines() if line.startswith("ack")]
    finally:
        writer.kill()
    port = int(env["FLUXORI_EMULATOR_PORT"])
    assert not port_is_free("127.0.0.1", port), "the orphan still runs"
    # The next process exports the orphan, stops it and starts its own emulator from that snapshot.
    assert count_grants(env) >= acks[-1][0]
    assert port_is_free("127.0.0.1", port), "the orphan was replaced, and the replacement stopped with its process"


def test_kill_9_of_the_emulator_loses_at_most_10_seconds(tmp_path: Path):
    env = local_env(tmp_path / "data")
    writer = start_writer(env)
    try:
        _wait_ready(writer)
        acks = _acks_for(writer, 8.0)  # long enough for at least one periodic export
        owner = read_owner(tmp_path / "data" / "firestore")
        killed_at = time.time()
        os.killpg(owner["pgid"], signal.SIGKILL)
        assert writer.wait(timeout=60) == 0  # it notices (an outage error), stops, and exits cleanly
        acks += [
            (int(line.split()[1]), float(line.split()[2]))
            for line in writer.stdout.read().splitlines()
            if line.startswith("ack")
        ]
    finally:
        writer.kill()
    kept = count_grants(env)
    lost = [at for number, at in acks if number > kept]
    assert kept > 0
    assert not lost or killed_at - min(lost) <= MAX_LOSS_SECONDS, f"{len(lost)} writes lost"


def _cmdline(proc: Path) -> str:
    try:
        return (proc / "cmdline").read_text()
    except OSError:
        return ""
