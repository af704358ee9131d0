"""Google's Firestore emulator as a managed child process: local mode and the tests run Firestore for real.

Started with `gcloud emulators firestore start`, awaited until it answers, stopped with its process group.
Data survives restarts through the emulator's own export (REST `:export`) and `--import-data`.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from contextlib import suppress
from pathlib import Path

import httpx

INSTALL_HINT = (
    "install the Google Cloud CLI with its Firestore emulator and Java 17: "
    "apt-get install google-cloud-cli google-cloud-cli-firestore-emulator openjdk-17-jre-headless"
)
EXPORT_NAME = "snapshot"


class EmulatorError(RuntimeError):
    """A one-line reason the emulator cannot run, with what to do about it."""


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
        return sock.getsockname()[1]


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
    """One emulator process. `data_dir`, when given, holds the snapshot imported at start and exported at stop."""

    def __init__(self, host: str = "127.0.0.1", port: int | None = None, data_dir: Path | None = None) -> None:
        self.host = host
        self.port = port or free_port(host)
        self.data_dir = data_dir
        self._process: subprocess.Popen[bytes] | None = None
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
        path = self.data_dir / EXPORT_NAME / f"{EXPORT_NAME}.overall_export_metadata"
        return path if path.is_file() else None

    def start(self, timeout: float = 60.0) -> FirestoreEmulator:
        check_prerequisites()
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
        return self

    def _wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise EmulatorError(f"the Firestore emulator exited at start; its log: {self._log_path}")
            try:
                if httpx.get(self.url, timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop(export=False)
        raise EmulatorError(f"the Firestore emulator did not answer within {timeout:.0f} s; its log: {self._log_path}")

    def export(self, project: str) -> Path:
        """Write a snapshot of `project` to data_dir, replacing the previous one only once the new one is complete."""
        if self.data_dir is None:
            raise EmulatorError("this emulator has no data directory to export to")
        staging = self.data_dir / f".{EXPORT_NAME}-staging"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        response = httpx.post(
            f"{self.url}/emulator/v1/projects/{project}:export",
            json={
                "database": f"projects/{project}/databases/(default)",
                "export_directory": str(staging.resolve()),
                "export_name": EXPORT_NAME,
            },
            timeout=120.0,
        )
        if response.status_code != 200:
            raise EmulatorError(f"the emulator refused the export: {response.text.strip()}")
        target = self.data_dir / EXPORT_NAME
        previous = self.data_dir / f".{EXPORT_NAME}-previous"
        shutil.rmtree(previous, ignore_errors=True)
        if target.exists():
            target.rename(previous)
        (staging / EXPORT_NAME).rename(target)
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(previous, ignore_errors=True)
        return target

    def wipe(self, project: str) -> None:
        """Delete every document of `project` (the emulator's REST reset endpoint)."""
        httpx.delete(f"{self.url}/emulator/v1/projects/{project}/databases/(default)/documents", timeout=30.0)

    def stop(self, *, export: bool = False, project: str | None = None) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        try:
            if export and project and process.poll() is None:
                self.export(project)
        finally:
            # gcloud's wrapper may exit before its Java child: wait for the port too, then make sure.
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and not (
                process.poll() is not None and port_is_free(self.host, self.port)
            ):
                time.sleep(0.1)
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)

    def __enter__(self) -> FirestoreEmulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
