"""Fixtures of the fault suite: each test that kills something gets an emulator (and data directory) of its own,
so the session's emulator (tests/conftest.py) is never the one killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from domain.emulator import EmulatorError, FirestoreEmulator, free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def own_emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[FirestoreEmulator]:
    instance = FirestoreEmulator()
    try:
        instance.start()
    except EmulatorError as exc:
        pytest.fail(f"cannot start an emulator: {exc}")
    # make_client points FIRESTORE_EMULATOR_HOST at it: put back the session's afterwards (this one gets killed)
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", instance.address)
    try:
        yield instance
    finally:
        instance.stop()


def kill_emulator(emulator_pgid: int) -> None:
    """kill -9 of the whole emulator (gcloud's wrapper and its Java process)."""
    os.killpg(emulator_pgid, signal.SIGKILL)


def local_env(data_dir: Path, port: int | None = None) -> dict[str, str]:
    """The environment of a local-mode process of its own: data directory, emulator port, no shared emulator."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLUXORI_") and k != "FIRESTORE_EMULATOR_HOST"}
    env.update(
        FLUXORI_DATA_DIR=str(data_dir),
        FLUXORI_EMULATOR_PORT=str(port or free_port()),
        FLUXORI_PROJECT=f"crash-{uuid.uuid4().hex[:8]}",
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    )
    return env


def start_writer(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.faults.writer"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def count_grants(env: dict[str, str]) -> int:
    done = subprocess.run(
        [sys.executable, "-m", "tests.faults.writer", "--count"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return int(done.stdout.strip().splitlines()[-1])
