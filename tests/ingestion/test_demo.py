"""`ingest_demo` finds the packaged demo knowledge base and ingests it, without failures, for each demo org."""

from __future__ import annotations

from domain.demo import DEMO_ORGS
from domain.orgs import OrgRepository
from ingestion.demo import ingest_demo
from tests.ingestion.doubles import IngestTestServices


def test_ingest_demo_reads_the_packaged_kb_for_every_demo_org(store):
    for org in DEMO_ORGS:  # the organisations only: the catalogue part is covered by test_catalog
        OrgRepository(store).create(org.id, org.name)
    services = IngestTestServices(store=store)
    reports = ingest_demo(services)
    assert set(reports) == {org.id for org in DEMO_ORGS}
    for org in DEMO_ORGS:
        report = reports[org.id]
        assert report.failures == [] and report.added >= 40  # the issue asks for at least 40 articles
        kinds = {doc.rsplit(".", 1)[-1] for doc in services.searcher.by_doc(org.id)}
        assert {"md", "html", "txt"} <= kinds
    again = ingest_demo(services)
    assert all(r.added == r.updated == 0 and r.unchanged == reports[o].added for o, r in again.items())
