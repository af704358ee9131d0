"""The Admin tab end to end in headless Chromium (the system browser, as `test_browser_e2e.py`): an upload whose
report lists each file, the documents table (pick a row, delete it after the question), and a grant that asks
first, is granted once on a double click and resets its form. Laptop in light mode, phone in dark mode;
screenshots in test-artifacts/ui/. A phone gets the documents as a compact table that needs no sideways scrolling,
a laptop the full one."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from playwright import sync_api

from domain.credits import MC_PER_CREDIT
from domain.orgs import Role
from ingestion.pipeline import ingest_kb
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
    table = page.locator("#admin-docs" if name == "laptop" else "#admin-docs-compact")  # what each one shows
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

    table.get_by_text(f"dock-hours-{name}.md").click()  # picks the document to act on
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


# How far the page and a table's own scroller reach past their width (> 0: they scroll sideways), and the
# heights of the rows a table draws.
ROWS_DRAWN_JS = """([id, n]) =>
  [...document.querySelectorAll(`#${id} .virtual-row`)].filter((row) => row.getBoundingClientRect().height > 0).length
  >= n"""
LAYOUT_JS = """(id) => {
  const viewport = document.querySelector(`#${id} .virtual-table-viewport`);
  const rows = [...document.querySelectorAll(`#${id} .virtual-row`)];
  return {
    page: document.scrollingElement.scrollWidth - window.innerWidth,
    table: viewport.scrollWidth - viewport.clientWidth,
    rows: rows.map((row) => row.getBoundingClientRect().height).filter((height) => height > 0),
  };
}"""


def test_a_phone_gets_a_compact_documents_table_and_a_laptop_the_full_one(browser, ui_server, tmp_path):
    """At 390 px the compact table shows, fits without scrolling sideways and picks a document; made as wide as a
    laptop, the same page shows the full table instead, filled by the same refresh, and picks from it too."""
    services = ui_server.services
    org = f"phone-{uuid.uuid4().hex[:8]}"  # its own organisation: the other test's uploads stay out of its list
    services.orgs.create(org, f"Shop {org}")
    services.credits.open_account(org)
    key = services.api_keys.create(org, Role.admin, label="phone layout test")
    articles = {
        "orders/choosing-the-fulfilment-warehouse.md": "Choosing the Fulfilment Warehouse for an Order",
        "importing/landed-cost-worked-example-tents.md": "Landed Cost Worked Example: 200 Tents from Ningbo",
        "support/contacting-support.md": "Contacting Support",
    }
    for path, title in articles.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(f"# {title}\n\nHow {title.lower()} works at the JHB, CPT and DBN warehouses.\n")
    assert ingest_kb(services, org, tmp_path, namespace="demo").added == len(articles)

    page = open_page(browser, ui_server, PHONE, "light")
    sign_in(page, key, "as admin")
    page.get_by_role("tab", name="Admin").click()
    full, compact = page.locator("#admin-docs"), page.locator("#admin-docs-compact")
    expect(compact).to_contain_text("Contacting Support · support/contacting-support.md")
    expect(compact).to_be_visible()
    expect(full).to_be_hidden()
    layout = page.evaluate(LAYOUT_JS, "admin-docs-compact")
    assert layout["page"] <= 0 and layout["table"] <= 0, layout  # neither the page nor the table scrolls sideways
    assert len(layout["rows"]) == len(articles) and max(layout["rows"]) < 160, layout  # rows as tall as their text
    compact.get_by_text("support/contacting-support.md").click()
    choice = page.locator("#admin-doc-choice input")
    expect(choice).to_have_value("Contacting Support · support/contacting-support.md (demo help centre)")
    shot(page, "admin-30-phone-compact-documents")

    page.set_viewport_size(LAPTOP)  # a phone turned into a laptop: the full table, drawn while it was hidden
    expect(full).to_be_visible()
    expect(compact).to_be_hidden()
    expect(full).to_contain_text("Landed Cost Worked Example: 200 Tents from Ningbo")
    # The virtual table measures its rows in the frame after it is shown: wait for them, then measure.
    page.wait_for_function(ROWS_DRAWN_JS, arg=["admin-docs", len(articles)])
    layout = page.evaluate(LAYOUT_JS, "admin-docs")
    assert layout["page"] <= 0 and len(layout["rows"]) == len(articles) and max(layout["rows"]) < 80, layout
    expect(choice).to_have_value("Contacting Support · support/contacting-support.md (demo help centre)")
    full.get_by_text("orders/choosing-the-fulfilment-warehouse.md", exact=True).click()
    expect(choice).to_have_value(
        "Choosing the Fulfilment Warehouse for an Order · orders/choosing-the-fulfilment-warehouse.md "
        "(demo help centre)"
    )
    shot(page, "admin-31-laptop-full-documents")
    page.context.close()
