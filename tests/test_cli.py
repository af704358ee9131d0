"""The `fluxori` command as a user runs it: real processes, the real emulator, clear one-line errors."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from domain.emulator import free_port

FLUXORI = [sys.executable, "-m", "app.cli"]


def run(args: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*FLUXORI, *args], env=env, capture_output=True, text=True, timeout=timeout)


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLUXORI_") and k != "FIRESTORE_EMULATOR_HOST"}
    env.update(
        {"FLUXORI_DATA_DIR": str(tmp_path / "data"), "FLUXORI_EMULATOR_PORT": str(free_port()), "COLUMNS": "200"},
        **extra,
    )
    return env


def test_seed_prints_keys_and_is_idempotent(emulator, project_id, tmp_path):
    env = clean_env(tmp_path, FIRESTORE_EMULATOR_HOST=emulator.address, FLUXORI_PROJECT=project_id)
    first = run(["seed"], env)
    assert first.returncode == 0, first.stderr
    assert "Berg & Veld Outdoor (bergveld): created" in first.stdout
    assert "fx_demo_fynbos_admin" in first.stdout
    second = run(["seed"], env)
    assert "already present, unchanged" in second.stdout


def test_admin_commands(emulator, project_id, tmp_path):
    env = clean_env(tmp_path, FIRESTORE_EMULATOR_HOST=emulator.address, FLUXORI_PROJECT=project_id)
    assert run(["admin", "create-org", "kalahari-kids", "--name", "Kalahari Kids"], env).returncode == 0
    created = run(["admin", "create-key", "--org", "kalahari-kids", "--role", "admin"], env)
    assert created.stdout.strip().splitlines()[-1].startswith("fx_")
    granted = run(["admin", "grant", "--org", "kalahari-kids", "--credits", "25", "--key", "first"], env)
    assert "Balance of kalahari-kids: 25 credits" in granted.stdout
    again = run(["admin", "grant", "--org", "kalahari-kids", "--credits", "25", "--key", "first"], env)
    assert "25 credits" in again.stdout  # the same key never grants twice
    duplicate = run(["admin", "create-org", "kalahari-kids", "--name", "Again"], env)
    assert duplicate.returncode == 1
    assert duplicate.stderr.strip() == "error: organisation 'kalahari-kids' already exists"

    quota = run(["admin", "set-quota", "--org", "kalahari-kids", "--credits", "40"], env)
    assert "Daily quota of kalahari-kids: 40 credits (0 credits used today)" in quota.stdout, quota.stderr
    key = created.stdout.strip().splitlines()[-1]
    listed = run(["admin", "list-keys", "--org", "kalahari-kids"], env)
    assert key[:12] in listed.stdout and key not in listed.stdout and "False" in listed.stdout
    assert run(["admin", "revoke-key", key], env).returncode == 0
    assert "True" in run(["admin", "list-keys", "--org", "kalahari-kids"], env).stdout
    unknown = run(["admin", "revoke-key", "fx_not_a_key"], env)
    assert (unknown.returncode, unknown.stderr.strip()) == (1, "error: no such API key")
    recount = run(["admin", "recount", "--org", "kalahari-kids"], env)
    assert "Recounted kalahari-kids: 0 products and 0 orders corrected." in recount.stdout, recount.stderr
    assert (
        run(["admin", "recount", "--org", "nobody"], env).stderr.strip()
        == "error: organisation 'nobody' does not exist"
    )


def test_missing_emulator_is_one_clear_line(tmp_path):
    env = clean_env(tmp_path, PATH=str(Path(sys.executable).parent))  # no gcloud, no java on this PATH
    result = run(["seed"], env)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: the Firestore emulator needs the Google Cloud CLI")
    assert "apt-get install google-cloud-cli" in result.stderr


def test_bad_configuration_is_one_clear_line(tmp_path):
    result = run(["seed"], clean_env(tmp_path, FLUXORI_MODE="gcp"))
    assert result.returncode == 2
    assert "FLUXORI_MODE=gcp needs FLUXORI_PROJECT" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_starts_everything_stops_on_ctrl_c_and_keeps_the_data(tmp_path):
    """First start: seeds, answers at once while the demo data is indexed in the background; Ctrl-C stops it all
    (emulator included) and keeps the data; SIGTERM does the same; a restart seeds nothing."""
    port = free_port()
    env = clean_env(tmp_path, FLUXORI_PORT=str(port))
    started: list[subprocess.Popen[str]] = []

    def start() -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [*FLUXORI, "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        started.append(process)
        return process

    def wait_ready(process: subprocess.Popen[str]) -> dict:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert process.poll() is None, process.stdout.read()
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1)
                if response.status_code == 200:
                    return response.json()
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        pytest.fail("the server did not become ready")

    def stop(process: subprocess.Popen[str], sig: int = signal.SIGINT) -> str:
        process.send_signal(sig)
        output, _ = process.communicate(timeout=60)
        assert process.returncode == 0, output
        assert subprocess.run(["pgrep", "-f", f"port={env['FLUXORI_EMULATOR_PORT']}"]).returncode == 1
        return output

    try:
        server = start()
        ready = wait_ready(server)
        assert ready["checks"]["demo_index"].startswith(("starting", "indexing")), ready
        answer = httpx.post(
            f"http://127.0.0.1:{port}/v1/chat",
            json={"message": "how many BV-TENT-0001 do we hold in Cape Town?"},
            headers={"Authorization": "Bearer fx_demo_bergveld_merchant"},
            timeout=60,
        )
        assert answer.status_code == 200 and "[product:BV-TENT-0001]" in answer.json()["answer"]
        # chat, search and credits ask the running server (a demo org's merchant key in local mode)
        fast = run(["chat", "how many BV-TENT-0001 do we hold in Cape Town?", "--org", "bergveld"], env)
        assert fast.returncode == 0 and "[product:BV-TENT-0001]" in fast.stdout, fast.stderr
        credits = run(["credits", "--org", "bergveld", "--limit", "3"], env)
        assert credits.returncode == 0 and "bergveld" in credits.stdout and "daily quota" in credits.stdout
        support = run(["search", "returns", "--type", "order", "--key", "fx_demo_bergveld_support"], env)
        assert support.returncode == 1 and "knowledge base only" in support.stderr, support.stderr
        assert wait_ready(server)["checks"]["demo_index"].startswith(("indexing bergveld", "indexing fynbos"))
        busy = run(["serve"], env)
        assert busy.returncode == 2 and f"port {port} is already in use" in busy.stderr
        output = stop(server)  # while the background indexing is still running
        assert "Seeded the demo data." in output
        assert f"Docs  http://127.0.0.1:{port}/docs" in output
        assert "Stopped." in output and "Traceback" not in output
        # Quiet logs: one JSON line per request (no uvicorn access lines), no progress bars
        assert '"path": "/v1/credits"' in output and "HTTP/1.1" not in output and "it/s]" not in output, output
        assert (tmp_path / "data/firestore/snapshot").is_dir()

        server = start()  # the data survives a restart: nothing to seed this time
        wait_ready(server)
        output = stop(server, signal.SIGTERM)
        assert "Seeded the demo data." not in output and "Stopped." in output
    finally:
        for process in started:
            if process.poll() is None:
                process.kill()


def test_eval_lists_failures_except_of_a_frozen_test_split():
    from app.cli_chat import shows_failures

    assert shows_failures(Path("evals/agent_dev.jsonl"), None)
    assert not shows_failures(Path("evals/agent_test.jsonl"), None)  # scored, never read case by case
    assert shows_failures(Path("evals/agent_test.jsonl"), True)  # unless asked for
    assert not shows_failures(Path("evals/agent_dev.jsonl"), False)


def test_billing_statement_and_export(emulator, project_id, tmp_path):
    import json
    from datetime import datetime

    from domain.credits import SAST

    env = clean_env(tmp_path, FIRESTORE_EMULATOR_HOST=emulator.address, FLUXORI_PROJECT=project_id)
    assert run(["seed"], env).returncode == 0
    now = datetime.now(SAST)
    month, today = f"{now:%Y-%m}", f"{now:%Y-%m-%d}"
    shown = run(["billing", "statement", "--org", "bergveld", "--month", month], env)
    assert shown.returncode == 0, shown.stderr
    assert "closing balance" in shown.stdout and "reconciles with the ledger" in shown.stdout
    csv_path = tmp_path / "statement.csv"
    written = run(
        ["billing", "statement", "--org", "fynbos", "--month", month, "--format", "csv", "--out", str(csv_path)], env
    )
    assert written.returncode == 0, written.stderr
    assert "closing balance" in csv_path.read_text(encoding="utf-8").lower()
    future = run(["billing", "statement", "--org", "bergveld", "--month", "2999-01"], env)
    assert future.returncode == 1 and "has not started yet" in future.stderr and "Traceback" not in future.stderr

    exported = run(["billing", "export", "--day", today], env)
    assert exported.returncode == 0, exported.stderr
    files = list((tmp_path / "data" / "billing" / "ledger" / f"day={today}").glob("*.ndjson"))
    rows = [json.loads(line) for line in files[0].read_text(encoding="utf-8").splitlines()]
    assert {r["org_id"] for r in rows} >= {"bergveld", "fynbos"} and all(r["kind"] == "grant" for r in rows)
    assert all(r["rand_value"] == round(r["credits"] * 0.10, 4) for r in rows)
    again = run(["billing", "export", "--day", today], env)  # re-running replaces the day's file
    assert again.returncode == 0 and len(files[0].read_text(encoding="utf-8").splitlines()) == len(rows)
    bad = run(["billing", "export", "--day", "yesterday"], env)
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr
