"""Which data migrations an organisation has had: `orgs/{org}/search/migrations` holds one version per migration
(the migrations themselves live with what they migrate, e.g. `ingestion.migrations`)."""

from __future__ import annotations

from google.cloud import firestore

from domain.store import Store, utcnow


class MigrationMarkers:
    def __init__(self, store: Store, org_id: str) -> None:
        self.store = store
        self.org_id = org_id

    def _ref(self) -> firestore.DocumentReference:
        return self.store.col(self.org_id, "search").document("migrations")

    def version(self, name: str) -> int:
        """The version of migration `name` this organisation has had (0: none)."""
        snapshot = self._ref().get()
        version: int = (snapshot.to_dict() or {}).get(name, 0) if snapshot.exists else 0
        return version

    def mark(self, name: str, version: int) -> None:
        self._ref().set({name: version, "updated_at": utcnow()}, merge=True)
