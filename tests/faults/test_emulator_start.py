"""Starting Google's Firestore emulator when its port is taken between our check and its bind: a port we picked is
retried on a fresh one; a port the user asked for is not, and the error names the cause from the emulator's log."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

import domain.emulator as emulator_module
from domain.emulator import EmulatorExitedAtStart, FirestoreEmulator


@pytest.fixture
def taken_port(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """A listening socket whose port the free-port check is told is free, as when another process binds it in the
    moment between the check and the emulator's own bind."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port: int = sock.getsockname()[1]
        monkeypatch.setattr(emulator_module, "port_is_free", lambda host, candidate: True)
        yield port


def test_a_port_we_chose_is_replaced_when_the_emulator_dies_at_start(taken_port: int) -> None:
    emulator = FirestoreEmulator()
    emulator.port = taken_port  # as if free_port had answered the port that was then taken
    emulator.start()
    try:
        assert emulator.port != taken_port
        assert emulator.answers()
    finally:
        emulator.stop()


def test_a_port_asked_for_is_not_replaced_and_the_error_says_why(taken_port: int) -> None:
    emulator = FirestoreEmulator(port=taken_port)
    with pytest.raises(EmulatorExitedAtStart, match="BindException") as caught:
        emulator.start()
    assert f"firestore-emulator-{taken_port}.log" in str(caught.value)
    assert emulator.pid is None
