"""The backup and restore drill (issue 26, item 4), in local mode with real processes: `fluxori backup ...` runs as
a command of its own (python -m app.cli) on a data directory and emulator port of its own, and the server whose
data it backs up is either this test process running local mode as `fluxori serve` does (local_firestore), or
tests/faults/writer.py writing credit grants as fast as it can.

Load, back up, write more, restore: the database is then exactly the data of the backup (every document compared)
and `fluxori backup verify` is clean; a balance the ledger does not sum to makes it fail, naming the organisation.
The drill's figures (how long create and restore take for the demo data, what the restore loses) are written to
test-artifacts/backup-drill.json.

The gcp-mode adapter (Firestore's managed export and import through the Admin API) cannot run offline: the tests
at the end check the requests it builds, against a fake admin client object that records them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from google.cloud import firestore
from google.cloud.firestore_admin_v1.types import backup as backup_types
from google.cloud.firestore_admin_v1.types import database as database_types
from google.cloud.firestore_admin_v1.types import field as field_types
from google.cloud.firestore_admin_v1.types import firestore_admin
from google.cloud.firestore_admin_v1.types import index as index_types
from google.cloud.firestore_admin_v1.types import operation as operation_types

from app.local_firestore import local_firestore
from assistant.settings import Settings
from domain.backups import documents
from domain.credits import CreditsRepository
from domain.demo import seed
from domain.emulator import free_port
from domain.errors import Conflict, InvalidInput
from domain.inventory import InventoryRepository
from domain.managed_backups import ManagedBackups
from domain.orders import Customer, OrderLineInput, OrderRepository
from domain.orgs import OrgRepository
from domain.store import Store, make_client
from tests.conftest import ARTIFACTS
from tests.faults.conftest import ROOT, count_grants, local_env, start_writer

ORG = "bergveld"
BUCKET = "fluxori-backups-test"


def fluxori(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def drill_env(data_dir: Path) -> dict[str, str]:
    return local_env(data_dir) | {"COLUMNS": "1000"}  # rich wraps what it prints at 80 columns otherwise


@contextmanager
def local_store(env: dict[str, str]) -> Iterator[Store]:
    """Local mode in this process, on `env`'s data directory and port, as `fluxori serve` runs it: its own
    emulator, owned by this process (a restore meanwhile is refused), saved and stopped at the end."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("FIRESTORE_EMULATOR_HOST", raising=False)
        for key in [k for k in os.environ if k.startswith("FLUXORI_")]:
            patch.delenv(key)
        for key, value in env.items():
            if key.startswith("FLUXORI_"):
                patch.setenv(key, value)
        settings = Settings()
        with local_firestore(settings) as local:
            yield Store.connect(make_client(settings.project, on_each_write=local.on_write))


def load(store: Store, tag: str) -> None:
    """Writes of every kind the invariants look at: grants, a charged call, two stock transfers, an order."""
    credits, inventory = CreditsRepository(store), InventoryRepository(store)
    orders = OrderRepository(store, inventory)
    for number in range(5):
        credits.grant(ORG, 1000 * (number + 1), f"{tag}-grant-{number}")
    credits.reserve(ORG, f"{tag}-call", 3000)
    credits.settle(ORG, f"{tag}-call", 1234)
    sku = min(level.sku for level in inventory.all_levels(ORG) if level.warehouse == "JHB" and level.available >= 4)
    inventory.transfer(ORG, sku, "JHB", "DBN", 2)
    inventory.transfer(ORG, sku, "DBN", "CPT", 1)
    order = orders.place(ORG, "webshop", Customer(name=f"Drill {tag}"), [OrderLineInput(sku=sku, quantity=1)], "JHB")
    orders.transition(ORG, order.number, "confirmed")


def timed(env: dict[str, str], *args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    done = fluxori(env, *args)
    return done, time.monotonic() - started


@pytest.mark.slow
def test_a_restore_is_exactly_the_backup_and_verify_catches_a_broken_ledger(tmp_path: Path):
    env = drill_env(tmp_path / "data")
    with local_store(env) as store:
        seed(store)
        load(store, "before")
        at_backup = documents(store.client)
        created, create_seconds = timed(env, "backup", "create", "--name", "drill")
        assert created.returncode == 0, created.stderr
        assert "live emulator export" in created.stdout  # the server runs: its emulator exported what it holds
        load(store, "after")
        after = documents(store.client)
        lost = len(after.keys() - at_backup.keys()) + sum(1 for p in at_backup if after.get(p) != at_backup[p])
        assert lost > 0

        refused = fluxori(env, "backup", "restore", "drill")
        assert refused.returncode == 1
        assert f"process {os.getpid()}" in refused.stderr and "--force" in refused.stderr
        assert "would replace the data it serves" in refused.stderr

    restored, restore_seconds = timed(env, "backup", "restore", "drill")
    assert restored.returncode == 0, restored.stderr
    assert f"imported {len(at_backup)} documents" in restored.stdout
    assert "pre-restore-" in restored.stdout  # what it replaced is kept
    with local_store(env) as store:
        assert documents(store.client) == at_backup

    verified, verify_seconds = timed(env, "backup", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "All invariants hold in 2 organisation(s)" in verified.stdout

    with local_store(env) as store:  # a balance its ledger does not sum to
        store.col(ORG, "billing").document("credits").update({"balance_mc": firestore.Increment(-1000)})
    broken = fluxori(env, "backup", "verify")
    assert broken.returncode == 1
    assert "1 breach(es) in: bergveld" in broken.stdout
    assert "balance" in broken.stdout and "difference -1000" in broken.stdout

    listed = fluxori(env, "backup", "list")
    assert listed.returncode == 0 and "drill" in listed.stdout and "pre-restore-" in listed.stdout
    figures = {
        "documents": len(at_backup),
        "backup_bytes": sum(f.stat().st_size for f in (tmp_path / "data/backups/drill").rglob("*") if f.is_file()),
        "create_seconds": round(create_seconds, 2),
        "restore_seconds": round(restore_seconds, 2),
        "verify_seconds": round(verify_seconds, 2),
        "documents_lost_by_the_restore": lost,
        "load_average": os.getloadavg()[0],
    }
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "backup-drill.json").write_text(json.dumps(figures, indent=2) + "\n")
    print("backup drill:", figures)


@pytest.mark.slow
def test_a_backup_under_writes_is_consistent_and_force_stops_the_server_first(tmp_path: Path):
    """A live export while the writer commits grants as fast as it can: the backup's ledger still sums to its
    balance. A restore is refused while the writer runs; --force stops it (it saves its data, kept as the
    pre-restore backup), then restores: the grants after the backup are gone, and restoring the pre-restore
    backup brings them back."""
    env = drill_env(tmp_path / "data")
    writer = start_writer(env)
    lines: list[str] = []

    def read() -> None:  # drained as it comes, so that the writer never waits on a full pipe
        for line in iter(writer.stdout.readline, ""):
            lines.append(line)

    reader = threading.Thread(target=read, daemon=True)
    try:
        assert writer.stdout.readline().startswith("ready")
        reader.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and sum(line.startswith("ack") for line in lines) < 20:
            time.sleep(0.2)
        created = fluxori(env, "backup", "create", "--name", "under-load")
        assert created.returncode == 0, created.stderr
        refused = fluxori(env, "backup", "restore", "under-load")
        assert refused.returncode == 1 and f"process {writer.pid}" in refused.stderr
        forced = fluxori(env, "backup", "restore", "under-load", "--force")
        assert forced.returncode == 0, forced.stderr
        assert f"Stopping process {writer.pid}" in forced.stdout
        writer.wait(timeout=30)
        reader.join(timeout=10)
    finally:
        writer.kill()
    acked = max(int(line.split()[1]) for line in lines if line.startswith("ack"))
    assert fluxori(env, "backup", "verify").returncode == 0  # consistent, although written to while exported
    in_backup = count_grants(env)
    assert 0 < in_backup < acked

    kept = next(word for word in forced.stdout.split() if word.startswith("pre-restore-"))
    undone = fluxori(env, "backup", "restore", kept)
    assert undone.returncode == 0, undone.stderr
    assert count_grants(env) >= acked  # every acknowledged grant: the writer saved them as it stopped


@pytest.fixture
def gcs() -> Iterator[str]:
    from gcp_storage_emulator.server import create_server

    port = free_port()
    server = create_server("127.0.0.1", port, in_memory=True, default_bucket=BUCKET)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.mark.slow
def test_a_backup_goes_to_cloud_storage_and_comes_back(tmp_path: Path, gcs: str):
    env = drill_env(tmp_path / "data") | {"STORAGE_EMULATOR_HOST": gcs}
    prefix = f"gs://{BUCKET}/fluxori"
    with local_store(env) as store:
        OrgRepository(store).create("gcs-org", "Storage test")
        CreditsRepository(store).open_account("gcs-org")
        CreditsRepository(store).grant("gcs-org", 5000, "first")
        at_backup = documents(store.client)
    created = fluxori(env, "backup", "create", "--name", "to-gcs", "--to", prefix)
    assert created.returncode == 0, created.stderr
    assert f"{prefix}/to-gcs" in created.stdout
    listed = fluxori(env, "backup", "list", "--from", prefix)
    assert listed.returncode == 0 and "to-gcs" in listed.stdout
    with local_store(env) as store:
        CreditsRepository(store).grant("gcs-org", 7000, "second")
    restored = fluxori(env, "backup", "restore", "to-gcs", "--from", prefix)
    assert restored.returncode == 0, restored.stderr
    with local_store(env) as store:
        assert documents(store.client) == at_backup


def test_bad_input_is_refused_in_one_line(tmp_path: Path):
    env = drill_env(tmp_path / "data")
    missing = fluxori(env, "backup", "restore", "nope")
    assert missing.returncode == 1 and "there is no backup 'nope'" in missing.stderr
    bad_name = fluxori(env, "backup", "create", "--name", "../up")
    assert bad_name.returncode == 1 and "is not a backup name" in bad_name.stderr
    nothing = fluxori(env, "backup", "create")
    assert nothing.returncode == 1 and "no data to back up" in nothing.stderr
    database = fluxori(env, "backup", "restore", "x", "--database", "restored-1")
    assert database.returncode == 2 and "--database is for gcp mode" in database.stderr
    assert "Traceback" not in missing.stderr + bad_name.stderr + nothing.stderr + database.stderr
    empty = fluxori(env, "backup", "verify")
    assert empty.returncode == 0 and "no organisations: nothing to verify" in empty.stdout


# gcp mode: the requests made of the Firestore Admin API, against a fake client --------------------------------
class FakeOperation:
    def __init__(self, name: str, result: Any = None) -> None:
        self.operation = SimpleNamespace(name=name)
        self._result = result
        self.waited: float | None = None

    def result(self, timeout: float | None = None) -> Any:
        self.waited = timeout
        return self._result


class FakeAdmin:
    """Records each request; answers list calls from what it was given."""

    def __init__(self, indexes=(), fields=(), backups=()) -> None:
        self.requests: list[tuple[str, Any]] = []
        self.indexes, self.fields, self.backups = list(indexes), list(fields), list(backups)

    def _op(self, method: str, request: Any, result: Any = None) -> FakeOperation:
        self.requests.append((method, request))
        return FakeOperation(f"projects/p/databases/x/operations/{method}-{len(self.requests)}", result)

    def export_documents(self, request):
        response = operation_types.ExportDocumentsResponse(output_uri_prefix=request.output_uri_prefix)
        return self._op("export_documents", request, response)

    def import_documents(self, request):
        return self._op("import_documents", request)

    def create_database(self, request):
        return self._op("create_database", request)

    def restore_database(self, request):
        return self._op("restore_database", request)

    def create_index(self, request):
        return self._op("create_index", request)

    def update_field(self, request):
        return self._op("update_field", request)

    def list_indexes(self, request):
        self.requests.append(("list_indexes", request))
        return iter(self.indexes)

    def list_fields(self, request):
        self.requests.append(("list_fields", request))
        return iter(self.fields)

    def list_backups(self, request):
        self.requests.append(("list_backups", request))
        return firestore_admin.ListBackupsResponse(backups=self.backups)


LIVE = "projects/fluxori-prod/databases/(default)"


def managed(admin: FakeAdmin) -> ManagedBackups:
    return ManagedBackups(admin, "fluxori-prod", "(default)", "africa-south1", timeout=123.0)


def test_gcp_create_is_a_managed_export_at_a_whole_minute():
    admin, started = FakeAdmin(), []
    now = datetime(2025, 6, 1, 10, 20, 37, 5000, tzinfo=UTC)
    info = managed(admin).export("gs://exports-bucket/firestore/", "nightly", now=now, started=started.append)
    [(method, request)] = admin.requests
    assert method == "export_documents"
    assert request.name == LIVE
    assert request.output_uri_prefix == "gs://exports-bucket/firestore/nightly"
    assert request.snapshot_time == datetime(2025, 6, 1, 10, 20, tzinfo=UTC)  # a consistent snapshot
    assert list(request.collection_ids) == []  # every collection
    assert info.location == "gs://exports-bucket/firestore/nightly" and started == [
        "projects/p/databases/x/operations/export_documents-1"
    ]


def test_gcp_restore_of_an_export_creates_a_new_database_with_the_live_indexes_and_ttl_then_imports():
    index = index_types.Index(
        name=f"{LIVE}/collectionGroups/orders/indexes/CICAgJim14AK",
        query_scope=index_types.Index.QueryScope.COLLECTION,
        fields=[
            index_types.Index.IndexField(field_path="status", order=index_types.Index.IndexField.Order.ASCENDING),
            index_types.Index.IndexField(field_path="created_at", order=index_types.Index.IndexField.Order.DESCENDING),
        ],
    )
    ttl = field_types.Field(name=f"{LIVE}/collectionGroups/responses/fields/delete_after")
    admin = FakeAdmin(indexes=[index], fields=[ttl])
    restored = managed(admin).restore("gs://exports-bucket/firestore/nightly", "restored-0601")
    assert restored == "projects/fluxori-prod/databases/restored-0601"
    methods = [method for method, _ in admin.requests]
    assert methods == [
        "create_database",
        "list_indexes",
        "create_index",
        "import_documents",
        "list_fields",
        "update_field",
    ]
    requests = dict(admin.requests)

    create = requests["create_database"]
    assert (create.parent, create.database_id) == ("projects/fluxori-prod", "restored-0601")
    db = database_types.Database
    assert create.database.location_id == "africa-south1"
    assert create.database.type_ == db.DatabaseType.FIRESTORE_NATIVE
    assert create.database.concurrency_mode == db.ConcurrencyMode.PESSIMISTIC
    assert create.database.point_in_time_recovery_enablement == (
        db.PointInTimeRecoveryEnablement.POINT_IN_TIME_RECOVERY_ENABLED
    )

    assert requests["list_indexes"].parent == f"{LIVE}/collectionGroups/-"
    made = requests["create_index"]
    assert made.parent == "projects/fluxori-prod/databases/restored-0601/collectionGroups/orders"
    assert [f.field_path for f in made.index.fields] == ["status", "created_at"] and not made.index.name

    imported = requests["import_documents"]
    assert imported.name == "projects/fluxori-prod/databases/restored-0601"
    assert imported.input_uri_prefix == "gs://exports-bucket/firestore/nightly"

    assert requests["list_fields"].filter == "ttlConfig:*"
    update = requests["update_field"]
    assert (
        update.field.name
        == "projects/fluxori-prod/databases/restored-0601/collectionGroups/responses/fields/delete_after"
    )
    assert list(update.update_mask.paths) == ["ttl_config"] and "ttl_config" in update.field


def test_gcp_restore_into_the_live_database_is_refused_without_force():
    admin = FakeAdmin()
    with pytest.raises(Conflict, match="the database the service uses"):
        managed(admin).restore("gs://exports-bucket/firestore/nightly", "(default)")
    assert admin.requests == []
    managed(admin).restore("gs://exports-bucket/firestore/nightly", "(default)", into_live=True)
    assert [(m, r.name) for m, r in admin.requests] == [("import_documents", LIVE)]  # no new database, no copies


def test_gcp_restore_of_a_scheduled_backup_and_the_list_of_them():
    name = "projects/fluxori-prod/locations/africa-south1/backups/4f1c"
    at = datetime(2025, 6, 1, 2, 0, tzinfo=UTC)
    ours = backup_types.Backup(name=name, database=LIVE, snapshot_time=at, state=backup_types.Backup.State.READY)
    other = backup_types.Backup(name=f"{name}x", database="projects/fluxori-prod/databases/other", snapshot_time=at)
    admin = FakeAdmin(backups=[ours, other])
    [listed] = managed(admin).scheduled()
    assert (listed.name, listed.location, listed.created_at) == ("4f1c", name, at)
    assert admin.requests[0][1].parent == "projects/fluxori-prod/locations/-"

    admin = FakeAdmin()
    managed(admin).restore(name, "restored-0601")
    [(method, request), *rest] = admin.requests
    assert method == "restore_database"  # a backup carries its indexes: only the TTL policies are copied
    assert (request.parent, request.database_id, request.backup) == ("projects/fluxori-prod", "restored-0601", name)
    assert [m for m, _ in rest] == ["list_fields"]


def test_gcp_restore_checks_the_database_id_and_the_source():
    admin = FakeAdmin()
    for bad in ("Restored", "ab", "restored-", "-x-y"):
        with pytest.raises(InvalidInput, match="not a Firestore database id"):
            managed(admin).restore("gs://b/p/n", bad)
    with pytest.raises(InvalidInput, match="not a Cloud Storage prefix"):
        managed(admin).restore("/tmp/export", "restored-1")
    assert admin.requests == []
