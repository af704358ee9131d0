"""Crash-safe files and a cross-process lock for the on-disk indexes.

Every file is written to a temporary name in the same directory, flushed to disk, then renamed over its final name
(`os.replace` is atomic on POSIX): a reader or a crash sees the old file or the new one, never half of one.
The lock is an OS file lock (`filelock`), so the API server and a `fluxori ingest` run on the same data directory
take turns writing and never read a half-written set of files.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from filelock import FileLock

SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def safe_name(value: str) -> str:
    """A directory name for an org id or model name: kept when plain, else a readable prefix plus a hash."""
    if SAFE_NAME.match(value) and ".." not in value:
        return value
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", value)[:32].strip("-") or "x"
    return f"{slug}-{hashlib.sha256(value.encode()).hexdigest()[:16]}"


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):  # not every filesystem lets a directory be opened
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    """Call `write(tmp_path)` then move the result over `path` atomically."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def atomic_write_json(path: Path, data: Any) -> None:
    atomic_write(path, lambda tmp: tmp.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8"))


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def file_signature(path: Path) -> tuple[int, int] | None:
    """Identifies one version of a file that is only ever replaced by rename (new inode each time)."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_ino, stat.st_mtime_ns


@contextlib.contextmanager
def locked(path: Path, timeout: float = 120.0) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(path), timeout=timeout):
        yield
