"""Where knowledge-base files come from: a local folder (recursive) or a Cloud Storage prefix `gs://bucket/prefix`.

A source lists its files without reading them, so a sharded run downloads only its own share, and names a
`root_id`: the scope of deletions. A file missing from a later listing of the same root is deleted from the
index; files of other roots are never touched.

Document ids are qualified by their source, so two sources can never replace or delete each other's documents:
- a local folder: `file:///absolute/folder/relative/path.md` (its `file://` URI);
- a folder given a namespace (uploads `upload:`, the demo help centre `demo:`): `NAMESPACE:relative/path.md`, so
  the id stays the same wherever the folder lives (another install, another data directory);
- Cloud Storage: the object's `gs://bucket/object` URI;
- the catalogue: `product:SKU` and `order:NUMBER` (`ingestion.catalog_docs`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ingestion.errors import IngestError
from ingestion.loaders import is_supported

if TYPE_CHECKING:
    from google.cloud import storage


@dataclass(frozen=True)
class SourceFile:
    """One file of a source. `doc_id` (also what a citation shows as its source) is qualified by the source (see
    the module docstring); `name` is the path relative to the root, which picks the loader and a fallback title."""

    doc_id: str
    name: str
    read: Callable[[], bytes] = field(repr=False, compare=False)
    size: int | None = None  # bytes, when the listing says

    @property
    def source(self) -> str:
        return self.doc_id


@dataclass
class KbSource:
    root_id: str
    files: list[SourceFile]
    ignored: list[str] = field(default_factory=list)
    folder_id: str = ""  # a local folder's file:// URI (its root before namespaces; see ingest_kb's migration)


def _hidden(relative: str) -> bool:
    return any(part.startswith(".") for part in relative.split("/"))


NAMESPACE = re.compile(r"^[a-z][a-z0-9-]{1,30}$")


def qualified_id(root_id: str, relative: str, namespace: str | None = None) -> str:
    """The document id of `relative` under a root (see the module docstring)."""
    if namespace:
        return f"{namespace}:{relative}"
    return f"{root_id.rstrip('/')}/{relative}"


def is_qualified(doc_id: str) -> bool:
    """False for the bare relative paths that folder documents had as ids before ids named their source."""
    return bool(re.match(r"^[a-z][a-z0-9+.-]*:", doc_id))


def local_source(path: Path, namespace: str | None = None) -> KbSource:
    root = path.expanduser().resolve()
    if not root.exists():
        raise IngestError(f"{path} does not exist: give a folder of knowledge-base files or a gs://bucket/prefix")
    if not root.is_dir():
        raise IngestError(f"{path} is not a folder: give the folder that holds the knowledge-base files")
    if namespace is not None and not NAMESPACE.match(namespace):
        raise IngestError(f"namespace {namespace!r} is not valid: use 2-31 lowercase letters, digits and dashes")
    # The scope of deletions: the namespace, else the resolved folder (reached by any relative path, the same).
    folder_id = f"file://{root.as_posix()}"
    root_id = f"{namespace}:" if namespace else folder_id
    files, ignored = [], []
    for file in sorted(p for p in root.rglob("*") if p.is_file()):
        relative = file.relative_to(root).as_posix()
        if _hidden(relative):
            continue
        if not is_supported(relative):
            ignored.append(relative)
            continue
        files.append(
            SourceFile(
                doc_id=qualified_id(folder_id, relative, namespace),
                name=relative,
                read=file.read_bytes,
                size=file.stat().st_size,
            )
        )
    return KbSource(root_id=root_id, files=files, ignored=ignored, folder_id=folder_id)


def parse_gs_uri(uri: str) -> tuple[str, str]:
    """`gs://bucket/some/prefix` -> (`bucket`, `some/prefix/`); the prefix is a folder, so `kb` never matches `kb2`."""
    rest = uri.removeprefix("gs://")
    bucket, _, prefix = rest.partition("/")
    if not bucket or "*" in rest:
        raise IngestError(f"{uri!r} is not a Cloud Storage prefix: use gs://BUCKET or gs://BUCKET/FOLDER")
    prefix = prefix.strip("/")
    return bucket, f"{prefix}/" if prefix else ""


def storage_client(project: str | None = None) -> storage.Client:
    """The official client. With STORAGE_EMULATOR_HOST set it talks to that server without credentials."""
    from google.auth.exceptions import DefaultCredentialsError
    from google.cloud import storage

    try:
        return storage.Client(project=project if not os.environ.get("STORAGE_EMULATOR_HOST") else None)
    except DefaultCredentialsError:
        raise IngestError(
            "no Google credentials for Cloud Storage: run `gcloud auth application-default login` or run as a "
            "service account that can read the bucket"
        ) from None


def gcs_source(uri: str, client: Any) -> KbSource:
    from google.api_core import exceptions as gexc

    bucket_name, prefix = parse_gs_uri(uri)
    bucket = client.bucket(bucket_name)
    files, ignored = [], []
    try:
        blobs = sorted(client.list_blobs(bucket_name, prefix=prefix), key=lambda b: b.name)
    except gexc.NotFound:
        raise IngestError(f"bucket {bucket_name!r} does not exist") from None
    except gexc.Forbidden:
        raise IngestError(
            f"no permission to list gs://{bucket_name}/{prefix}: grant roles/storage.objectViewer"
        ) from None
    for blob in blobs:
        relative = blob.name[len(prefix) :]
        if not relative or blob.name.endswith("/") or _hidden(relative):  # folder placeholders, hidden files
            continue
        uri_of_blob = f"gs://{bucket_name}/{blob.name}"
        if not is_supported(blob.name):
            ignored.append(uri_of_blob)
            continue
        # Pin the generation listed: a file replaced mid-run is read as listed, or fails and is retried next run.
        read = bucket.blob(blob.name, generation=blob.generation).download_as_bytes
        files.append(SourceFile(doc_id=uri_of_blob, name=blob.name, read=read, size=blob.size))
    return KbSource(root_id=f"gs://{bucket_name}/{prefix}", files=files, ignored=ignored)


def open_source(
    source: str | Path, project: str | None = None, client: Any = None, namespace: str | None = None
) -> KbSource:
    """A gs:// prefix or a local folder. `namespace` applies to folders only: an object's URI is already stable."""
    if isinstance(source, str) and source.startswith("gs://"):
        return gcs_source(source, client or storage_client(project))
    return local_source(Path(source), namespace)
