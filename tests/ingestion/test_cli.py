"""`fluxori ingest kb|catalog` and `fluxori search` through Typer's CliRunner, against the Firestore emulator.

The search service is the in-memory double here (patched into `Services.searcher`); the real one is exercised in
`test_end_to_end.py`.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from app.cli import app
from app.wiring import Services
from tests.domain.fixtures import ORG
from tests.ingestion.doubles import InMemorySearchService

runner = CliRunner()


@pytest.fixture
def cli_env(monkeypatch, project_id, tmp_path, services):
    """The CLI on the test's own database (the emulator of the session) and the services' search double."""
    monkeypatch.setenv("FLUXORI_PROJECT", project_id)
    monkeypatch.setenv("FLUXORI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setattr(Services, "searcher", property(lambda self: services.searcher))
    return services.searcher


def test_ingest_kb_prints_a_summary_and_search_finds_it(cli_env: InMemorySearchService, kb):
    result = runner.invoke(app, ["ingest", "kb", str(kb), "--org", ORG])
    assert result.exit_code == 0, result.output
    assert "added" in result.stdout and "unchanged" in result.stdout and "chunks written" in result.stdout
    assert "1 files of other types ignored" in result.stdout
    assert "doc/s" in result.stderr  # the progress bar (tqdm) on stderr
    again = runner.invoke(app, ["ingest", "kb", str(kb), "--org", ORG])
    assert again.exit_code == 0
    row = next(line for line in again.stdout.splitlines() if line.count("│") >= 7 and "0" in line)
    assert [cell.strip() for cell in row.split("│")[1:6]] == ["0", "0", "5", "0", "0"]

    found = runner.invoke(app, ["search", "Takealot API key", "--org", ORG, "--k", "2", "--type", "kb", "--json"])
    assert found.exit_code == 0, found.output
    hits = json.loads(found.stdout)
    assert hits[0]["rank"] == 1 and hits[0]["source"] == (kb / "channels/connect-takealot.md").resolve().as_uri()
    table = runner.invoke(app, ["search", "Takealot API key", "--org", ORG])
    assert "Connecting Takealot" in table.stdout


def test_ingest_catalog_with_a_shard(cli_env: InMemorySearchService):
    result = runner.invoke(app, ["ingest", "catalog", "--org", ORG, "--shard", "0/1"])
    assert result.exit_code == 0, result.output
    assert "Ingested catalog for acme-outdoor" in result.stdout
    assert set(cli_env.by_doc(ORG)) == {"product:AC-TENT-0001", "product:AC-LAMP-0001"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ingest", "kb", "KB", "--org", "nope"], "error: organisation 'nope' does not exist"),
        (["ingest", "catalog", "--org", "nope"], "error: organisation 'nope' does not exist"),
        (["search", "tents", "--org", "nope"], "error: organisation 'nope' does not exist"),
        (["ingest", "kb", "/no/such/folder", "--org", ORG], "error: /no/such/folder does not exist"),
        (["ingest", "kb", "KB", "--org", ORG, "--shard", "3/2"], "error: shard 3/2 is not valid"),
    ],
)
def test_clear_one_line_errors(cli_env, kb, args, message):
    result = runner.invoke(app, [str(kb) if a == "KB" else a for a in args])
    assert result.exit_code == 1, result.output
    assert result.stderr.strip().startswith(message)
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.output
