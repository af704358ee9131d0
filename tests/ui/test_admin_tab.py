"""The Admin tab's endpoints as a browser session calls them (`gradio_client` against the real server, emulator,
pipeline and index): the upload's per-file report, the list of indexed documents with delete and re-index, and a
grant that asks first and happens once however often Confirm is clicked."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from gradio_client import Client, handle_file

import ui.admin_tab
from assistant.application.uploads import upload_root
from domain.credits import MC_PER_CREDIT
from domain.ingest_records import record_key
from domain.orgs import Role

pytestmark = pytest.mark.slow


def admin_session(server: Any) -> tuple[Client, str]:
    """A new organisation with its own admin, signed in: (session, org id); nothing shared with other tests."""
    services = server.services
    org = f"adm-{uuid.uuid4().hex[:8]}"
    services.orgs.create(org, f"Shop {org}")
    services.credits.open_account(org)
    key = services.api_keys.create(org, Role.admin, label="ui admin test")
    session = Client(server.ui_url, verbose=False, headers={"Authorization": f"Bearer {key}"})
    assert session.predict(key, None, api_name="/sign_in")[2].startswith("Signed in")
    return session, org


def listed(session: Client) -> dict[str, list]:
    table, *_, _status = session.predict(api_name="/documents")
    return {row[1]: row for row in table["data"]}


def search_sources(session: Client, query: str) -> str:
    results, _ = session.predict(query, "kb", 10, api_name="/search")
    return results


def test_an_upload_shows_each_files_progress_and_lands_in_the_list(ui_server, tmp_path, monkeypatch):
    monkeypatch.setattr(ui.admin_tab, "POLL_SECONDS", 0.05)  # read the job back often: every step is seen
    session, _org = admin_session(ui_server)
    files = []
    for name, text in {
        "tarp.md": "# Tarp sizes\n\nA 3 x 4 m tarp covers a four-person dome tent with a vestibule.",
        "coolbox.md": "# Coolbox ice\n\nFreeze two-litre bottles: a coolbox keeps them frozen for three days.",
        "broken.pdf": "%PDF-1.4\n1 0 obj << /Type /Catalog",
    }.items():
        (tmp_path / name).write_text(text)
        files.append(handle_file(str(tmp_path / name)))
    job = session.submit(files, api_name="/ingest")
    job.result(timeout=180)
    views = job.outputs()
    first, last = views[0], views[-1]
    assert "tarp.md" in first and "coolbox.md" in first and "✓" not in first  # every file listed before it is done
    assert len(views) >= 3, views  # the start, progress while it runs, the report
    assert "Ingestion finished" in last and "**added** 2" in last and "**failed** 1" in last
    assert "| tarp.md | ✓ added" in last and "| broken.pdf | ✗ failed: damaged PDF" in last
    assert "removed from the uploads" in last
    data_dir = str(ui_server.services.settings.data_dir)
    assert all(data_dir not in view and "/uploads/" not in view for view in views)  # no server path, ever

    rows = listed(session)
    assert set(rows) == {"tarp.md", "coolbox.md"}  # the failed file is neither listed nor kept
    title, name, source, status, size, chunks, _when = rows["tarp.md"]
    assert (title, source, status) == ("Tarp sizes", "upload", "indexed") and size.endswith("B") and int(chunks) >= 1
    again = session.submit([handle_file(str(tmp_path / "tarp.md"))], api_name="/ingest").result(timeout=180)
    assert "broken.pdf" not in again  # reported once, by its own upload


def test_delete_asks_first_then_removes_the_document_from_search_and_list(ui_server, tmp_path):
    session, org = admin_session(ui_server)
    article = tmp_path / "sandboard.md"
    article.write_text("# Sandboard wax\n\nWax a sandboard with paraffin before every run down the Atlantis dunes.")
    assert "**added** 1" in session.predict([handle_file(str(article))], api_name="/ingest")
    assert "sandboard.md" in listed(session)
    assert "sandboard.md" in search_sources(session, "paraffin sandboard wax dunes")

    choice = record_key("kb", "upload:sandboard.md")
    status, question = session.predict(choice, api_name="/document_delete")
    assert status == "" and "Delete Sandboard wax · sandboard.md (upload) from the index?" in question
    assert "Cancelled" in session.predict(api_name="/document_delete_cancel")
    assert "sandboard.md" in listed(session)  # cancelled: still there

    session.predict(choice, api_name="/document_delete")
    *_, message = session.predict(api_name="/document_delete_confirm")
    assert "Deleted sandboard.md" in message
    assert "sandboard.md" not in listed(session)
    assert "sandboard.md" not in search_sources(session, "paraffin sandboard wax dunes")
    assert not (Path(upload_root(ui_server.services.settings, org)) / "sandboard.md").exists()
    assert "Choose a document" in session.predict(choice, api_name="/document_delete")[0]  # gone from the list


def test_reindex_takes_in_a_changed_file(ui_server, tmp_path):
    session, org = admin_session(ui_server)
    article = tmp_path / "firelighters.md"
    article.write_text("# Firelighters\n\nUse two firelighter blocks under the charcoal.")
    session.predict([handle_file(str(article))], api_name="/ingest")
    listed(session)  # the session's list knows the document
    choice = record_key("kb", "upload:firelighters.md")
    assert "has not changed" in session.predict(choice, api_name="/document_reindex")[-1]
    stored = Path(upload_root(ui_server.services.settings, org)) / "firelighters.md"
    stored.write_text("# Firelighters\n\nUse a chimney starter with newspaper instead of firelighter blocks.")
    assert session.predict(choice, api_name="/document_reindex")[-1] == "Re-indexed firelighters.md."
    assert "<b>chimney</b> <b>starter</b>" in search_sources(session, "chimney starter newspaper")


def test_a_grant_confirmed_twice_at_once_grants_once(ui_server):
    session, org = admin_session(ui_server)
    credits = ui_server.services.credits
    _status, question = session.predict(250, "launch promo", api_name="/grant")
    assert f"Grant 250 credits to Shop {org} (`{org}`)?" in question
    clicks = [session.submit(api_name="/grant_confirm") for _ in range(2)]  # both sent before either is done
    results = [click.result(timeout=60) for click in clicks]
    assert any("Granted 250 credits" in str(r) for r in results)
    assert credits.account(org).balance_mc == 250 * MC_PER_CREDIT
    grants = [e for e in credits.ledger(org, limit=10) if e.kind.value == "grant"]
    assert len(grants) == 1 and grants[0].note == "launch promo"
