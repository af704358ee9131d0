"""Firestore outages are counted in `fluxori_firestore_errors_total`, by the wrapper that stands where the SDK keeps
each RPC; the SDK still finds the RPC's retry settings through it. The "outage" is a port nobody listens on."""

from __future__ import annotations

import pytest
from google.api_core import exceptions as gexc

from domain.emulator import free_port
from domain.metrics import FIRESTORE_ERRORS
from domain.store import make_client


def test_an_unreachable_firestore_is_counted_and_the_sdk_keeps_its_retry_settings() -> None:
    client = make_client("metrics-outage", emulator_host=f"127.0.0.1:{free_port()}")
    unavailable = FIRESTORE_ERRORS.labels(kind="unavailable")
    deadline = FIRESTORE_ERRORS.labels(kind="deadline")
    before = unavailable._value.get() + deadline._value.get()
    with pytest.raises((gexc.ServiceUnavailable, gexc.RetryError, gexc.DeadlineExceeded)):
        client.collection("orgs").document("x").get(timeout=2)
    with pytest.raises((gexc.ServiceUnavailable, gexc.RetryError, gexc.DeadlineExceeded)):
        list(client.collection("orgs").limit(1).stream(timeout=2))  # the query path reads the RPC's `_retry`
    assert unavailable._value.get() + deadline._value.get() >= before + 2
    transport = client._firestore_api._transport
    assert all(hasattr(rpc, "_timeout") for rpc in transport._wrapped_methods.values())
