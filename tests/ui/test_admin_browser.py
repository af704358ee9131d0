"""The Admin tab end to end in headless Chromium (the system browser, as `test_browser_e2e.py`): an upload whose
report lists each file, the documents table (pick a row, delete it after the question), and a grant that asks
first, is granted once on a double click and resets its form. Laptop in light mode, phone in dark mode;
screenshots in test-artifacts/ui/."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright import sync_api

from domain.credits import MC_PER_CREDIT
from tests.ui.test_browser_e2e import (
    CHROMIUM,
    CHROMIUM_ARGS,
    LAPTOP,
    PHONE,
    SHOTS,
    expect,
    open_page,
    shot,
    sign_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(600)]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Chromium as in test_browser_e2e, without its demo help centre: this tab's test brings its own files."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.mark.parametrize(("viewport", "mode", "name"), [(LAPTOP, "light", "laptop"), (PHONE, "dark", "phone")])
def test_admin_uploads_deletes_and_grants(browser, ui_server, tmp_path, viewport, mode, name):
    services = ui_server.services
    page = open_page(browser, ui_server, viewport, mode)
    sign_in(page, "fx_demo_bergveld_admin", "as admin")
    page.get_by_role("tab", name="Admin").click()
    table = page.locator("#admin-docs")
    if name == "phone":  # the laptop's upload, listed at sign-in
        expect(table).to_contain_text("pallet-heights-laptop.md")

    files = []
    for stem in ("pallet-heights", "dock-hours"):
        path = tmp_path / f"{stem}-{name}.md"
        path.write_text(f"# {stem.replace('-', ' ').title()}\n\nThe {stem} rule for the {name} test at the JHB dock.\n")
        files.append(str(path))
    page.locator("#admin-files input[type=file]").set_input_files(files)
    page.locator("#admin-ingest").click()
    status = page.locator("#admin-ingest-status")
    expect(status).to_contain_text("Ingestion finished", timeout=120_000)
    expect(status).to_contain_text(f"pallet-heights-{name}.md")
    assert "/uploads/" not in status.inner_text()
    expect(table).to_contain_text(f"dock-hours-{name}.md")
    shot(page, f"admin-20-{name}-{mode}-uploaded")

    table.get_by_text(f"dock-hours-{name}.md", exact=True).click()  # picks the document to act on
    expect(page.locator("#admin-doc-choice input")).to_have_value(f"Dock Hours · dock-hours-{name}.md (upload)")
    page.locator("#admin-doc-delete").click()
    question = page.locator("#admin-delete-confirm")
    expect(question).to_be_visible()
    question.scroll_into_view_if_needed()
    expect(question).to_contain_text(f"Delete Dock Hours · dock-hours-{name}.md (upload) from the index?")
    shot(page, f"admin-21-{name}-{mode}-delete-question")
    page.locator("#admin-delete-yes").click()
    expect(page.locator("#admin-docs-status")).to_contain_text(f"Deleted dock-hours-{name}.md")
    expect(question).to_be_hidden()
    expect(table).not_to_contain_text(f"dock-hours-{name}.md")
    expect(table).to_contain_text(f"pallet-heights-{name}.md")

    before = services.credits.account("bergveld").balance_mc
    page.locator("#admin-grant-amount input").fill("500")
    page.locator("#admin-grant").click()
    confirm = page.locator("#admin-grant-confirm")
    expect(confirm).to_contain_text("Grant 500 credits to Berg & Veld Outdoor (bergveld)?")
    confirm.scroll_into_view_if_needed()
    shot(page, f"admin-22-{name}-{mode}-grant-question")
    page.locator("#admin-grant-yes").dblclick()
    expect(page.locator("#admin-grant-status")).to_contain_text("Granted 500 credits")
    expect(confirm).to_be_hidden()
    expect(page.locator("#admin-grant-amount input")).to_have_value("100")  # the form starts over
    shot(page, f"admin-23-{name}-{mode}-granted")
    page.wait_for_timeout(1000)  # a second grant would land within this
    assert services.credits.account("bergveld").balance_mc == before + 500 * MC_PER_CREDIT
    page.context.close()
