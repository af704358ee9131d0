"""Backups through a Cloud Storage prefix (`gs://bucket/prefix/NAME/...`): a local backup uploaded after it is
made, downloaded before it is restored, and the backups listed there (`domain.backups` makes and restores them)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from google.cloud.storage import Client as StorageClient

from domain.backups import METADATA_SUFFIX, BackupInfo, backup_name
from domain.errors import InvalidInput, NotFound


def storage_client(project: str | None = None) -> StorageClient:
    """With STORAGE_EMULATOR_HOST set, the client talks to that server (the tests) without credentials."""
    return StorageClient(project=project if not os.environ.get("STORAGE_EMULATOR_HOST") else None)


def parse_gs(uri: str) -> tuple[str, str]:
    """`gs://bucket/some/prefix` -> ("bucket", "some/prefix"), without slashes at its ends."""
    bucket, _, prefix = uri.removeprefix("gs://").partition("/")
    if not uri.startswith("gs://") or not bucket or "*" in uri:
        raise InvalidInput(f"{uri!r} is not a Cloud Storage prefix: use gs://BUCKET or gs://BUCKET/FOLDER")
    return bucket, prefix.strip("/")


def _join(*parts: str) -> str:
    return "/".join(part for part in parts if part)


def upload(client: StorageClient, folder: Path, uri: str) -> str:
    """Copy a backup folder to `uri/NAME/`; returns that prefix as gs://."""
    bucket_name, prefix = parse_gs(uri)
    bucket = client.bucket(bucket_name)
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        bucket.blob(_join(prefix, folder.name, path.relative_to(folder).as_posix())).upload_from_filename(str(path))
    return f"gs://{_join(bucket_name, prefix, folder.name)}"


def download(client: StorageClient, uri: str, into: Path) -> Path:
    """Copy the backup folder at `uri` (gs://bucket/prefix/NAME) to into/NAME; returns that folder."""
    bucket_name, prefix = parse_gs(uri)
    name = prefix.rsplit("/", 1)[-1]
    target = into / backup_name(name)
    blobs = list(client.list_blobs(bucket_name, prefix=f"{prefix}/"))
    if not blobs:
        raise NotFound(f"there is no backup at {uri}")
    for blob in blobs:
        path = target / blob.name.removeprefix(f"{prefix}/")
        path.parent.mkdir(parents=True, exist_ok=True)
        blob.download_to_filename(str(path))
    return target


def list_gs(client: StorageClient, uri: str) -> list[BackupInfo]:
    """Every export under `uri`: a folder holding an `*.overall_export_metadata` (made by `fluxori backup create`
    locally or in gcp mode, or by `gcloud firestore export`), with the total size of its objects."""
    bucket_name, prefix = parse_gs(uri)
    sizes: dict[str, int] = {}
    found: dict[str, datetime] = {}
    for blob in client.list_blobs(bucket_name, prefix=f"{prefix}/" if prefix else None):
        name = blob.name.removeprefix(f"{prefix}/" if prefix else "").split("/", 1)[0]
        sizes[name] = sizes.get(name, 0) + int(blob.size or 0)
        if blob.name.endswith(METADATA_SUFFIX):
            found[name] = min(found.get(name, blob.time_created), blob.time_created)
    rows = [BackupInfo(name, f"gs://{_join(bucket_name, prefix, name)}", at, sizes[name]) for name, at in found.items()]
    return sorted(rows, key=lambda info: (info.created_at, info.name))


@contextmanager
def scratch() -> Iterator[Path]:
    """A temporary folder for a backup on its way to or from Cloud Storage."""
    with tempfile.TemporaryDirectory(prefix="fluxori-backup-") as folder:
        yield Path(folder)
