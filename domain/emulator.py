"""Google's Firestore emulator as a managed child process: local mode and the tests run Firestore for real.

Started with `gcloud emulators firestore start`, awaited until it answers, stopped with its process group.
Data survives restarts through the emulator's own export (REST `:export`) and `--import-data`.

Nothing is lost when a process dies (see `domain/emulator_guard.py`): a guard process watches the one that
started the emulator. While it lives, the guard exports every few seconds when something was written (writers
touch a marker file, `mark_changed`); when it dies, even by kill -9, the guard exports once more and stops the
emulator. An emulator found running with no live owner (an orphan) is exported before anything else happens.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import httpx

INSTALL_HINT = (
    "install the Google Cloud CLI with its Firestore emulator and Java 17: "
    "apt-get install google-cloud-cli google-cloud-cli-firestore-emulator openjdk-17-jre-headless"
)
EXPORT_NAME = "snapshot"
CHANGED_MARKER = ".changed"  # touched by writers; its modification time says when data last changed
OWNER_FILE = "owner.json"  # who runs the emulator on this data directory: {pid, port, pgid}
EXPORT_EVERY_SECONDS = 5.0  # the guard's period: kill -9 of the emulator loses at most this plus one export


START_ATTEMPTS = 3  # an emulator on a port we picked ourselves is retried on a new one when it dies at start


class EmulatorError(RuntimeError):
    """A one-line reason the emulator cannot run, with what to do about it."""


class EmulatorExitedAtStart(EmulatorError):
    """The emulator's process ended before it answered (a port taken in between, a JVM that could not start)."""


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        result: int = sock.getsockname()[1]
        return result


def check_prerequisites() -> None:
    if shutil.which("gcloud") is None:
        raise EmulatorError(f"the Firestore emulator needs the Google Cloud CLI (gcloud), not found: {INSTALL_HINT}")
    if shutil.which("java") is None:
        raise EmulatorError(f"the Firestore emulator needs Java, not found: {INSTALL_HINT}")
    sdk_root = Path(os.path.realpath(shutil.which("gcloud") or "")).parent.parent
    if not any(
        (root / "platform/cloud-firestore-emulator").is_dir() for root in (sdk_root, Path("/usr/lib/google-cloud-sdk"))
    ):
        raise EmulatorError(f"the Google Cloud CLI has no Firestore emulator component: {INSTALL_HINT}")


class FirestoreEmulator:
    """One emulator process. `data_dir`, when given, holds the snapshot imported at start and exported (of
    `project`) while it runs and at stop. A guard process stops it when the process that started it dies."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int | None = None,
        data_dir: Path | None = None,
        project: str | None = None,
        export_every: float = EXPORT_EVERY_SECONDS,
    ) -> None:
        self.host = host
        self.port = port or free_port(host)
        self._port_chosen = port is None  # ours to replace when the emulator dies at start
        self.data_dir = data_dir
        self.project = project
        self.export_every = export_every
        self._process: subprocess.Popen[bytes] | None = None
        self._guard: subprocess.Popen[bytes] | None = None
        self._log_path: Path | None = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.address}"

    @property
    def _snapshot_metadata(self) -> Path | None:
        if self.data_dir is None:
            return None
        target, previous = self.data_dir / EXPORT_NAME, self.data_dir / f".{EXPORT_NAME}-previous"
        if not target.exists() and previous.exists():  # an export died between its two renames
            previous.rename(target)
        path = target / f"{EXPORT_NAME}.overall_export_metadata"
        return path if path.is_file() else None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def answers(self, timeout: float = 1.0) -> bool:
        try:
            return httpx.get(self.url, timeout=timeout).status_code == 200
        except httpx.HTTPError:
            return False

    def start(self, timeout: float = 60.0) -> FirestoreEmulator:
        """Start and wait until it answers. The emulator binds several ports of its own choosing besides ours, so
        one that dies at start on a port we picked is started again on a fresh one (a port asked for is not)."""
        check_prerequisites()
        for attempt in range(1, START_ATTEMPTS + 1):
            try:
                self._start_once(timeout)
                break
            except EmulatorExitedAtStart:
                if not self._port_chosen or attempt == START_ATTEMPTS:
                    raise
                self.port = free_port(self.host)
        self._start_guard()
        return self

    def _start_once(self, timeout: float) -> None:
        if not port_is_free(self.host, self.port):
            raise EmulatorError(
                f"port {self.port} is already in use; stop what runs there or set FLUXORI_EMULATOR_PORT to a free port"
            )
        command = ["gcloud", "emulators", "firestore", "start", f"--host-port={self.address}", "--quiet"]
        if self._snapshot_metadata is not None:
            command.append(f"--import-data={self._snapshot_metadata}")
        log_dir = self.data_dir or Path(os.environ.get("TMPDIR", "/tmp"))
        log_dir.mkdir(parents=True, exist_ok=True)
        self._log_path = log_dir / f"firestore-emulator-{self.port}.log"
        with self._log_path.open("wb") as log:
            # A session of its own, so that stopping reaches the Java process that gcloud starts.
            self._process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self._wait_until_ready(timeout)

    def _start_guard(self) -> None:
        """The guard: a process of its own (a kill -9 of this one does not reach it) that exports and stops the
        emulator when this process dies."""
        assert self._process is not None
        command = [sys.executable, "-m", "domain.emulator_guard", "--parent", str(os.getpid())]
        command += ["--pgid", str(self._process.pid), "--url", self.url, "--every", str(self.export_every)]
        if self.data_dir is not None and self.project:
            command += ["--data-dir", str(self.data_dir.resolve()), "--project", self.project]
            write_owner(self.data_dir, os.getpid(), self.port, self._process.pid)
        root = str(Path(__file__).resolve().parent.parent)  # so that `-m domain.emulator_guard` imports this copy
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
        self._guard = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, start_new_session=True, env=env, cwd=root, close_fds=True
        )

    def _wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                self._process = None
                raise EmulatorExitedAtStart(
                    f"the Firestore emulator exited at start ({log_cause(self._log_path)}); its log: {self._log_path}"
                )
            try:
                if httpx.get(self.url, timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop(export=False)
        raise EmulatorError(f"the Firestore emulator did not answer within {timeout:.0f} s; its log: {self._log_path}")

    def export(self, project: str | None = None) -> Path:
        """Write a snapshot of `project` to data_dir, replacing the previous one only once the new one is complete."""
        project = project or self.project
        if self.data_dir is None or project is None:
            raise EmulatorError("this emulator has no data directory or project to export")
        return export_snapshot(self.url, project, self.data_dir)

    def wipe(self, project: str) -> None:
        """Delete every document of `project` (the emulator's REST reset endpoint)."""
        httpx.delete(f"{self.url}/emulator/v1/projects/{project}/databases/(default)/documents", timeout=30.0)

    def stop(self, *, export: bool = False, project: str | None = None) -> None:
        process, self._process = self._process, None
        guard, self._guard = self._guard, None
        if guard is not None:  # first, so that it does not export or stop the emulator while we do
            guard.terminate()
            with suppress(subprocess.TimeoutExpired):
                guard.wait(timeout=10)
        if process is None:
            return
        try:
            # A dead or hung emulator is not exported: its last snapshot stays as it is.
            if export and (project or self.project) and process.poll() is None and self.answers():
                self.export(project)
        finally:
            kill_group(process.pid, self.host, self.port)
            process.wait(timeout=5)
            if self.data_dir is not None:
                clear_owner(self.data_dir, os.getpid())

    def __enter__(self) -> FirestoreEmulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def log_cause(path: Path | None) -> str:
    """The line of an emulator's log that says why it stopped: the last exception or error line, else the last line
    (CI keeps only what the tests print, not the log file)."""
    if path is None or not path.is_file():
        return "no log"
    lines = [line.removeprefix("[firestore]").strip() for line in path.read_text(errors="replace").splitlines()]
    lines = [line for line in lines if line and not line.startswith("at ")]
    causes = [line for line in lines if "Exception" in line or "Error" in line or "error:" in line.lower()]
    return (causes or lines or ["empty log"])[-1][:300]


@contextmanager
def export_lock(data_dir: Path) -> Iterator[None]:
    """One export at a time per data directory (the guard's and the owner's share the staging folder)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with (data_dir / ".export.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def export_snapshot(url: str, project: str, data_dir: Path, timeout: float = 120.0) -> Path:
    """Export `project` from the emulator at `url` to data_dir/snapshot: written to a staging folder first and
    swapped in by renames, so a crash at any moment leaves a complete snapshot (the new or the previous one)."""
    with export_lock(data_dir):
        staging = data_dir / f".{EXPORT_NAME}-staging"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        try:
            response = httpx.post(
                f"{url}/emulator/v1/projects/{project}:export",
                json={
                    "database": f"projects/{project}/databases/(default)",
                    "export_directory": str(staging.resolve()),
                    "export_name": EXPORT_NAME,
                },
                timeout=timeout,
            )
        except httpx.HTTPError as exc:
            raise EmulatorError(f"the emulator did not answer the export: {exc}") from exc
        if response.status_code != 200:
            raise EmulatorError(f"the emulator refused the export: {response.text.strip()}")
        target = data_dir / EXPORT_NAME
        previous = data_dir / f".{EXPORT_NAME}-previous"
        shutil.rmtree(previous, ignore_errors=True)
        if target.exists():
            target.rename(previous)
        (staging / EXPORT_NAME).rename(target)
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(previous, ignore_errors=True)
        return target


def kill_group(pgid: int, host: str, port: int) -> None:
    """Stop an emulator's process group: SIGTERM, then SIGKILL if it or its port still lives after 10 s
    (gcloud's wrapper may exit before its Java child)."""
    with suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGTERM)
        os.killpg(pgid, signal.SIGCONT)  # a frozen (stopped) emulator must run to act on it
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not (not _group_alive(pgid) and port_is_free(host, port)):
        time.sleep(0.1)
    with suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    if process_alive(pgid):  # the leader (gcloud's wrapper) runs: no need to look at the others
        return True
    # A process group of zombies only (waiting for their parent to reap them) is dead for our purpose.
    return any(process_alive(int(p.name)) for p in Path("/proc").iterdir() if p.name.isdigit() and _pgid_of(p) == pgid)


def _pgid_of(proc: Path) -> int | None:
    try:
        return int((proc / "stat").read_text().rsplit(")", 1)[1].split()[2])
    except (OSError, ValueError, IndexError):
        return None


def process_alive(pid: int) -> bool:
    """The process exists and is not a zombie."""
    try:
        os.kill(pid, 0)
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (ProcessLookupError, FileNotFoundError, IndexError):
        return False
    except PermissionError:
        return True
    return state not in ("Z", "X")


# Marking changes ----------------------------------------------------------------------------------------------
def mark_changed(data_dir: Path) -> None:
    """Tell the guard that data changed (a cheap touch of the marker; it exports within EXPORT_EVERY_SECONDS)."""
    marker = data_dir / CHANGED_MARKER
    try:
        os.utime(marker)
    except FileNotFoundError:
        marker.touch()


def changed_at(data_dir: Path) -> float:
    try:
        return (data_dir / CHANGED_MARKER).stat().st_mtime_ns / 1e9
    except FileNotFoundError:
        return 0.0


# Owners and orphans -------------------------------------------------------------------------------------------
def write_owner(data_dir: Path, pid: int, port: int, pgid: int) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    tmp = data_dir / f".{OWNER_FILE}.tmp"
    tmp.write_text(json.dumps({"pid": pid, "port": port, "pgid": pgid}))
    tmp.rename(data_dir / OWNER_FILE)


def read_owner(data_dir: Path) -> dict[str, Any] | None:
    try:
        result: dict[str, Any] | None = json.loads((data_dir / OWNER_FILE).read_text())
        return result
    except (OSError, ValueError):
        return None


def clear_owner(data_dir: Path, pid: int) -> None:
    owner = read_owner(data_dir)
    if owner is not None and owner.get("pid") == pid:
        with suppress(FileNotFoundError):
            (data_dir / OWNER_FILE).unlink()


def owner_alive(data_dir: Path, port: int) -> bool:
    """A live process started the emulator that answers on `port` for this data directory."""
    owner = read_owner(data_dir)
    return owner is not None and owner.get("port") == port and process_alive(int(owner["pid"]))


def adopt_orphan(host: str, port: int, data_dir: Path, project: str) -> Path:
    """An emulator answers on `port` but the process that started it is gone (killed before its guard could
    act, or started by hand): export its data, then stop it, so that a fresh one starts from that snapshot."""
    snapshot = export_snapshot(f"http://{host}:{port}", project, data_dir)
    owner = read_owner(data_dir)
    pgid = owner.get("pgid") if owner and owner.get("port") == port else _listener_pgid(port)
    if pgid is None:
        raise EmulatorError(
            f"an emulator not started by fluxori answers on port {port}; its data was saved to {snapshot}. "
            "Stop it, or set FLUXORI_EMULATOR_PORT to a free port"
        )
    kill_group(int(pgid), host, port)
    with suppress(FileNotFoundError):
        (data_dir / OWNER_FILE).unlink()
    return snapshot


def _listener_pgid(port: int) -> int | None:
    """The process group of whatever listens on TCP `port` (from /proc: the socket's inode, then its owner)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                    inodes.add(f"socket:[{fields[9]}]")
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        with suppress(OSError):
            if any(os.readlink(fd) in inodes for fd in (proc / "fd").iterdir()):
                return _pgid_of(proc)
    return None
