"""`/docs` and `/redoc` work without internet: every script, stylesheet and icon they load is served by the app."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from app.api.app import create_app
from app.wiring import Services
from assistant.settings import Settings


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    # Building the app touches no database; no lifespan, so no warm-up either.
    settings = Settings(_env_file=None, project="docs-test", data_dir=tmp_path_factory.mktemp("docs"))
    return TestClient(create_app(Services(settings)))


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_docs_pages_load_every_asset_from_the_app(client: TestClient, page: str):
    response = client.get(page)
    assert response.status_code == 200
    html = response.text
    assert "cdn.jsdelivr" not in html and "fonts.googleapis" not in html
    assets = re.findall(r"""(?:src|href)=["']?([^"' >]+)""", html)
    assert assets, html
    for url in assets:
        assert url.startswith("/"), f"{page} loads {url} from elsewhere"
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 100, url
    assert "/openapi.json" in html
    assert client.get("/openapi.json").json()["info"]["title"] == "Fluxori Assistant API"
