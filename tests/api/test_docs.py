"""The service's API docs (opt-in, AVITO_SYNC_DOCS) work offline: every asset they load is
served by the service."""

from __future__ import annotations

import re

import httpx

from avito_sync.api.app import build_app
from avito_sync.api.metrics import ServiceMetrics
from tests.api.conftest import service_settings
from tests.api.jwt_tools import JwksServer


async def test_docs_assets_come_from_the_service(
    database_url: str, jwks_server: JwksServer
) -> None:
    settings = service_settings(database_url, jwks_server).model_copy(update={"docs": True})
    app = build_app(settings, ServiceMetrics())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as http:
        for page_path in ("/docs", "/redoc"):
            page = await http.get(page_path)
            assert page.status_code == 200
            assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
            assert assets, page.text
            for asset in assets:
                assert asset.startswith("/"), f"{asset} is not served by the service"
                fetched = await http.get(asset)
                assert fetched.status_code == 200, asset


def test_the_document_gives_a_schema_for_every_json_answer(
    database_url: str, jwks_server: JwksServer
) -> None:
    """Every success and failure body is described (schemathesis holds answers to it), and no
    operation promises FastAPI's 422, which this service never sends (malformed input is 400)."""
    settings = service_settings(database_url, jwks_server).model_copy(update={"docs": True})
    doc = build_app(settings, ServiceMetrics()).openapi()
    undescribed = []
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert "422" not in responses, (method, path)
            for status, response in responses.items():
                content = response.get("content", {})
                if "application/json" in content and not content["application/json"]["schema"]:
                    undescribed.append((method, path, status))
    assert undescribed == []
    answers = doc["paths"]["/functions/v1/avito-sync"]["post"]["responses"]
    assert len(answers["200"]["content"]["application/json"]["schema"]["anyOf"]) >= 21
