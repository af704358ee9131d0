"""The emulator's guard: `python -m domain.emulator_guard --parent PID --pgid PGID --url URL [--data-dir D ...]`.

A process of its own session, started by `FirestoreEmulator.start`, so that a kill -9 of the process that started
the emulator (the parent) does not reach it. Every half second it looks at the parent and the change marker:

- data changed (the marker's time moved) and the last export is `--every` seconds old: export (a snapshot that
  replaces the previous one only once complete);
- the parent is gone (its parent id changed, or it is a zombie): export once more, stop the emulator's process
  group and exit; so a crashed server loses nothing and leaves no orphan emulator behind;
- the emulator is gone: exit (its last snapshot stays; the next start imports it);
- SIGTERM (the parent stops cleanly and exports itself): exit at once.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import time
from pathlib import Path

from domain.emulator import EmulatorError, _group_alive, changed_at, export_snapshot, kill_group, process_alive

log = logging.getLogger("fluxori.emulator_guard")
POLL_SECONDS = 0.5


def _parent_gone(parent: int) -> bool:
    return os.getppid() != parent and not process_alive(parent)


def run(parent: int, pgid: int, url: str, data_dir: Path | None, project: str | None, every: float) -> None:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    exporting = data_dir is not None and project is not None
    seen = changed_at(data_dir) if data_dir is not None else 0.0
    last_export = 0.0

    def export(reason: str) -> None:
        nonlocal seen, last_export
        assert data_dir is not None and project is not None
        marker = changed_at(data_dir)  # read before: a write during the export is exported next time
        try:
            export_snapshot(url, project, data_dir, timeout=60.0)
            seen, last_export = marker, time.monotonic()
        except EmulatorError as exc:
            log.warning("export (%s) failed: %s", reason, exc)

    while True:
        time.sleep(POLL_SECONDS)
        if not _group_alive(pgid):
            return
        if _parent_gone(parent):
            if exporting:
                export("the server is gone")
            kill_group(pgid, host, int(port))
            return
        if exporting and changed_at(data_dir) != seen and time.monotonic() - last_export >= every:  # type: ignore[arg-type]
            export("data changed")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--parent", type=int, required=True)
    parser.add_argument("--pgid", type=int, required=True)
    parser.add_argument("--url", required=True)
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--project")
    parser.add_argument("--every", type=float, default=5.0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="emulator guard: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per export request is noise
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the server, which stops us cleanly
    run(args.parent, args.pgid, args.url, args.data_dir, args.project, args.every)


if __name__ == "__main__":
    main()
