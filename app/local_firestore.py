"""Where a command finds Firestore in local mode.

An emulator named by FIRESTORE_EMULATOR_HOST, or one that `fluxori serve` runs already on the configured port,
is used as it is. Otherwise the command starts its own on the data directory and, when it is done, saves the
data (emulator export) and stops it, so `fluxori seed` or `fluxori chat` work with or without a running server.
An emulator that answers on the port with no live owner is an orphan of a crash: it is exported, then replaced.
While it runs, each write marks the data directory changed, and the emulator's guard exports it within 5 s
(domain.emulator: a crash of this process loses nothing, one of the emulator at most the last 5-10 s).
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from assistant.settings import Settings
from domain.emulator import FirestoreEmulator, adopt_orphan, mark_changed, owner_alive


def _answers(address: str) -> bool:
    try:
        return httpx.get(f"http://{address}", timeout=0.5).text.strip() == "Ok"
    except httpx.HTTPError:
        return False


@dataclass(frozen=True)
class LocalFirestore:
    """What a command runs against: the emulator it started (None when Firestore is cloud or someone else's
    emulator), and what its clients call after each write (`Services(settings, on_write=...)`)."""

    emulator: FirestoreEmulator | None = None
    on_write: Callable[[], None] | None = None


@contextmanager
def local_firestore(settings: Settings) -> Iterator[LocalFirestore]:
    if settings.mode == "gcp" or os.environ.get("FIRESTORE_EMULATOR_HOST"):
        yield LocalFirestore()
        return
    shared = f"127.0.0.1:{settings.emulator_port}"
    data_dir = settings.data_dir / "firestore"

    def changed() -> None:
        mark_changed(data_dir)

    if _answers(shared):
        if owner_alive(data_dir, settings.emulator_port):  # e.g. `fluxori serve` runs: its guard exports
            os.environ["FIRESTORE_EMULATOR_HOST"] = shared
            yield LocalFirestore(on_write=changed)
            return
        adopt_orphan("127.0.0.1", settings.emulator_port, data_dir, settings.project)
    emulator = FirestoreEmulator(port=settings.emulator_port, data_dir=data_dir, project=settings.project).start()
    os.environ["FIRESTORE_EMULATOR_HOST"] = emulator.address
    # SIGTERM (kill, a closing terminal, a supervisor) must also save and stop the emulator, like Ctrl-C does.
    previous = signal.signal(signal.SIGTERM, _interrupt) if _in_main_thread() else None
    try:
        yield LocalFirestore(emulator, changed)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        emulator.stop(export=True)
        os.environ.pop("FIRESTORE_EMULATOR_HOST", None)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()
