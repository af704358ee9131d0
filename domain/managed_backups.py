"""gcp mode's backups: Firestore's managed export (at a whole-minute `snapshot_time`, a consistent snapshot) to a
Cloud Storage prefix, an import into a new database (to which the live one's composite indexes and TTL policies
are copied: an export carries documents only), and a restore of a daily scheduled backup (Terraform) into a new
database. The service is then pointed at the new database (FLUXORI_FIRESTORE_DATABASE, docs/operations.md)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from google.cloud.firestore_admin_v1 import FirestoreAdminClient
from google.cloud.firestore_admin_v1.types import database as database_types
from google.cloud.firestore_admin_v1.types import field as field_types
from google.cloud.firestore_admin_v1.types import firestore_admin
from google.cloud.firestore_admin_v1.types import index as index_types
from google.protobuf import field_mask_pb2

from domain.backup_storage import _join, parse_gs
from domain.backups import DATABASE_ID, OPERATION_TIMEOUT_SECONDS, BackupInfo
from domain.errors import Conflict, InvalidInput
from domain.store import utcnow

# gcp: Firestore's managed export, import and scheduled backups ------------------------------------------------
Started = Callable[[str], None]  # told the name of each long-running operation as it starts


@dataclass
class ManagedBackups:
    """The Firestore Admin API on the service's project. `database` is the live one (FLUXORI_FIRESTORE_DATABASE),
    `location` where new databases go (FLUXORI_REGION, where the live one is)."""

    admin: FirestoreAdminClient
    project: str
    database: str
    location: str
    timeout: float = OPERATION_TIMEOUT_SECONDS

    def path(self, database_id: str) -> str:
        return f"projects/{self.project}/databases/{database_id}"

    def export(self, uri: str, name: str, now: datetime | None = None, started: Started | None = None) -> BackupInfo:
        """A managed export of the live database to uri/NAME, as it was at the last whole minute (a consistent
        snapshot: without `snapshot_time` an export may see some writes made while it runs and miss others)."""
        began = time.monotonic()
        bucket, prefix = parse_gs(uri)
        at = (now or utcnow()).replace(second=0, microsecond=0)
        request = firestore_admin.ExportDocumentsRequest(
            name=self.path(self.database),
            output_uri_prefix=f"gs://{_join(bucket, prefix, name)}",
            snapshot_time=at,
        )
        operation = self.admin.export_documents(request=request)
        self._started(operation, started)
        result = operation.result(timeout=self.timeout)  # type: ignore[no-untyped-call]
        return BackupInfo(
            name=name,
            location=str(result.output_uri_prefix or request.output_uri_prefix),
            created_at=at,
            size_bytes=0,
            source=f"managed export of {request.name} at {at:%Y-%m-%d %H:%M} UTC",
            seconds=round(time.monotonic() - began, 3),
        )

    def scheduled(self) -> list[BackupInfo]:
        """The scheduled backups of the live database (Terraform's daily schedule), in every location."""
        response = self.admin.list_backups(request=firestore_admin.ListBackupsRequest(parent=self._locations))
        live = self.path(self.database)
        rows = [
            BackupInfo(
                name=backup.name.rsplit("/", 1)[-1],
                location=backup.name,
                created_at=backup.snapshot_time,
                size_bytes=int(backup.stats.size_bytes),
                source=f"scheduled backup of {backup.database}, {backup.state.name.lower()}",
            )
            for backup in response.backups
            if backup.database == live
        ]
        return sorted(rows, key=lambda info: (info.created_at, info.name))

    @property
    def _locations(self) -> str:
        return f"projects/{self.project}/locations/-"

    def restore(self, source: str, database_id: str, *, into_live: bool = False, started: Started | None = None) -> str:
        """Restore `source` (an export's gs:// prefix, or a scheduled backup's resource name) into a new database
        `database_id` (into the live one, with `into_live`: an import overwrites documents with the same path and
        leaves the others); returns the restored database's resource name."""
        check_database_id(database_id)
        live = database_id == self.database
        if live and not into_live:
            raise Conflict(live_restore_refusal(database_id))
        if source.startswith("projects/") and "/backups/" in source:
            if live:
                raise InvalidInput("a scheduled backup restores into a new database only: give another --database")
            request = firestore_admin.RestoreDatabaseRequest(
                parent=f"projects/{self.project}", database_id=database_id, backup=source
            )
            self._wait(self.admin.restore_database(request=request), started)
        else:
            parse_gs(source)
            if not live:
                self._wait(self.admin.create_database(request=self._new_database(database_id)), started)
                self._copy_indexes(database_id, started)
            request_import = firestore_admin.ImportDocumentsRequest(
                name=self.path(database_id), input_uri_prefix=source
            )
            self._wait(self.admin.import_documents(request=request_import), started)
        if not live:
            self._copy_ttl(database_id, started)
        return self.path(database_id)

    def _new_database(self, database_id: str) -> firestore_admin.CreateDatabaseRequest:
        # As Terraform declares the live one (terraform/modules/firestore): Native, pessimistic, with PITR.
        kind = database_types.Database
        return firestore_admin.CreateDatabaseRequest(
            parent=f"projects/{self.project}",
            database_id=database_id,
            database=kind(
                location_id=self.location,
                type_=kind.DatabaseType.FIRESTORE_NATIVE,
                concurrency_mode=kind.ConcurrencyMode.PESSIMISTIC,
                point_in_time_recovery_enablement=kind.PointInTimeRecoveryEnablement.POINT_IN_TIME_RECOVERY_ENABLED,
                app_engine_integration_mode=kind.AppEngineIntegrationMode.DISABLED,
            ),
        )

    def _copy_indexes(self, database_id: str, started: Started | None) -> None:
        """The live database's composite indexes, created on the new one (queries fail without them)."""
        source = f"{self.path(self.database)}/collectionGroups/-"
        operations = []
        for found in self.admin.list_indexes(request=firestore_admin.ListIndexesRequest(parent=source)):
            group = found.name.split("/collectionGroups/", 1)[1].split("/", 1)[0]
            copy = index_types.Index(query_scope=found.query_scope, api_scope=found.api_scope, fields=found.fields)
            parent = f"{self.path(database_id)}/collectionGroups/{group}"
            operations.append(
                self.admin.create_index(request=firestore_admin.CreateIndexRequest(parent=parent, index=copy))
            )
        for operation in operations:  # started together: each takes minutes, mostly waiting
            self._wait(operation, started)

    def _copy_ttl(self, database_id: str, started: Started | None) -> None:
        """The live database's TTL policies (stored answers, confirmations...), set on the new one: neither an
        export nor a backup carries them."""
        request = firestore_admin.ListFieldsRequest(
            parent=f"{self.path(self.database)}/collectionGroups/-", filter="ttlConfig:*"
        )
        operations = []
        for found in self.admin.list_fields(request=request):
            name = self.path(database_id) + found.name.removeprefix(self.path(self.database))
            update = firestore_admin.UpdateFieldRequest(
                field=field_types.Field(name=name, ttl_config=field_types.Field.TtlConfig()),
                update_mask=field_mask_pb2.FieldMask(paths=["ttl_config"]),
            )
            operations.append(self.admin.update_field(request=update))
        for operation in operations:
            self._wait(operation, started)

    def _wait(self, operation: Any, started: Started | None) -> None:
        self._started(operation, started)
        operation.result(timeout=self.timeout)

    @staticmethod
    def _started(operation: Any, started: Started | None) -> None:
        if started is not None:
            started(str(operation.operation.name))


def check_database_id(database_id: str) -> str:
    if database_id != "(default)" and not DATABASE_ID.fullmatch(database_id):
        raise InvalidInput(
            f"{database_id!r} is not a Firestore database id: 4-63 lower-case letters, digits and '-', starting "
            "with a letter and not ending with '-'"
        )
    return database_id


def live_restore_refusal(database_id: str) -> str:
    return (
        f"{database_id!r} is the database the service uses: an import into it overwrites the documents the backup "
        "has while the service writes to them, and keeps every document made since, so the result is neither the "
        "backup nor the present. Restore into a new database id (--database) and point the service at it "
        "(docs/operations.md); --force imports into the live database all the same"
    )


def admin_client() -> FirestoreAdminClient:
    return FirestoreAdminClient()
