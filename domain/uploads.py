"""Where an organisation's uploaded knowledge-base files are kept: a folder of the server (local mode) or a
Cloud Storage prefix (production), behind one narrow interface. Which one, and the rules on names, are
`assistant.application.uploads`; reading the files back is `ingestion.sources`."""

from __future__ import annotations

import contextlib
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol


@dataclass(frozen=True)
class Upload:
    filename: str | None
    content: BinaryIO


class UploadStore(Protocol):
    """One organisation's upload root, by plain file name (checked by the caller)."""

    def write(self, name: str, content: BinaryIO) -> None:
        """Store the file whole (a reader never sees half of it), replacing one of the same name."""
        ...

    def remove(self, name: str) -> None:
        """Remove the file; one already gone is no error."""
        ...


class FolderUploads:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def write(self, name: str, content: BinaryIO) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        partial = self.folder / f".{name}.{uuid.uuid4().hex[:8]}.part"
        with partial.open("wb") as out:
            shutil.copyfileobj(content, out)
        partial.replace(self.folder / name)  # atomic: ingestion never sees half a file

    def remove(self, name: str) -> None:
        path = (self.folder / name).resolve()
        if path.is_relative_to(self.folder.resolve()):  # a name never reaches outside the root
            path.unlink(missing_ok=True)


class BucketUploads:
    def __init__(self, project: str | None, bucket: str, prefix: str) -> None:
        from google.cloud.storage import Client  # imported when used: local mode never needs it

        self.bucket = Client(project=project).bucket(bucket)
        self.prefix = prefix

    def write(self, name: str, content: BinaryIO) -> None:
        self.bucket.blob(f"{self.prefix}{name}").upload_from_file(content, rewind=True)  # one write: atomic

    def remove(self, name: str) -> None:
        from google.api_core.exceptions import NotFound

        with contextlib.suppress(NotFound):  # already gone: nothing to remove
            self.bucket.blob(f"{self.prefix}{name}").delete()
