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


def _wait_ready(writer) -> int:
    """How many grants the writer found at its start."""
    line = writer.stdout.readline()
    assert line.startswith("ready"), line
    return int(line.split()[1])


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


def _kill_9(writer, *also: int) -> list[int]:
    """kill -9 of the writer (and of the processes `also`); the grant numbers it acknowledged until then."""
    for pid in also:
        os.kill(pid, signal.SIGKILL)
    writer.send_signal(signal.SIGKILL)
    writer.wait(timeout=10)
    return [int(line.split()[1]) for line in writer.stdout.read().splitlines() if line.startswith("ack")]


def _guards_of(pid: int) -> list[int]:
    watching = f"domain.emulator_guard\0--parent\0{pid}\0"
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and watching in _cmdline(p)]


def test_kill_9_of_the_server_loses_nothing_and_leaves_no_orphan(tmp_path: Path):
    """First server and guard are both killed: the emulator lives on as an orphan with data not yet exported;
    the next server exports it before anything else (adopts it). Then that server alone is killed: its guard
    exports and stops the emulator. A restart finds every acknowledged write of both."""
    env = local_env(tmp_path / "data")
    port = int(env["FLUXORI_EMULATOR_PORT"])

    first = start_writer(env)
    try:
        _wait_ready(first)
        acked = [number for number, _ in _acks_for(first, 2.0)]
        guards = _guards_of(first.pid)
        assert guards, "a guard watches the process that started the emulator"
        acked += _kill_9(first, *guards)
    finally:
        first.kill()
    assert len(acked) > 10 and not port_is_free("127.0.0.1", port), "the orphan runs on"

    second = start_writer(env)
    try:
        assert _wait_ready(second) >= acked[-1]  # the orphan's data was adopted
        acked = [number for number, _ in _acks_for(second, 2.0)]
        acked += _kill_9(second)
    finally:
        second.kill()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not port_is_free("127.0.0.1", port):
        time.sleep(0.2)
    assert port_is_free("127.0.0.1", port), "the emulator outlived the server"
    assert count_grants(env) >= acked[-1]


def test_kill_9_of_the_emulator_loses_at_most_10_seconds(tmp_path: Path):
    env = local_env(tmp_path / "data")
    writer = start_writer(env)
    try:
        _wait_ready(writer)
        acks = _acks_for(writer, 6.0)  # an export follows the first write, then one every 5 s
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
