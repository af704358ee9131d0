"""A stand-in for the server in the crash tests: local mode as `fluxori serve` runs it (its own emulator on the
data directory, with the guard), writing credit grants (a balance and a ledger entry per transaction) as fast as
it can and printing the number of each grant once Firestore acknowledged it. `--count` only prints how many
grants the data directory holds, then exits cleanly. Settings come from FLUXORI_* like the CLI's."""

from __future__ import annotations

import sys
import time

from app.local_firestore import local_firestore
from app.wiring import Services
from assistant.settings import Settings
from domain.errors import NotFound

ORG = "crash-test"


def main() -> None:
    settings = Settings()
    with local_firestore(settings) as local:
        services = Services(settings, on_write=local.on_write)
        if "--count" in sys.argv:
            print(len(list(services.store.col(ORG, "ledger").stream())), flush=True)
            return
        try:
            services.orgs.get(ORG)
        except NotFound:
            services.orgs.create(ORG, "Crash test")
            services.credits.open_account(ORG)
        start = len(list(services.store.col(ORG, "ledger").stream()))
        print(f"ready {start}", flush=True)
        number = start
        while True:
            number += 1
            try:
                services.credits.grant(ORG, 1000, f"g{number:06d}")
            except Exception as exc:  # the emulator was killed: report and stop writing
                print(f"error {type(exc).__name__} {time.time():.3f}", flush=True)
                return
            print(f"ack {number} {time.time():.3f}", flush=True)


if __name__ == "__main__":
    main()
