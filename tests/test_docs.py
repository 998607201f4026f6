"""/docs works offline: Swagger UI's page and assets come from this server, and the OpenAPI document is valid JSON."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from kg.api.app import create_app
from kg.settings import Settings
from kg.stores import Store


def test_docs_page_uses_local_assets(settings: Settings, api_store: Store) -> None:
    with TestClient(create_app(settings, store=api_store)) as client:
        page = client.get("/docs")
        assert page.status_code == 200
        sources = re.findall(r'(?:src|href)="([^"]+)"', page.text) + re.findall(r"url: '([^']+)'", page.text)
        assert sources, "the docs page names no assets"
        for source in sources:
            assert source.startswith("/"), f"{source} would be fetched from elsewhere"
            assert client.get(source).status_code == 200, source
        spec = client.get("/openapi.json").json()
        assert "/sparql" in spec["paths"]
