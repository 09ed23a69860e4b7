"""The control API's docs work offline (assets served by the sandbox itself) and document the
bodies a newcomer has to send by hand: the consent form and a guest booking."""

from __future__ import annotations

import re

import httpx

from tests.fixtures.sandbox import Sandbox


def test_docs_page_loads_its_assets_from_the_sandbox(sandbox: Sandbox) -> None:
    with httpx.Client(base_url=sandbox.base_url, trust_env=False) as http:
        page = http.get("/_sandbox/docs")
        assert page.status_code == 200
        assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
        assert any(a.endswith("swagger-ui-bundle.js") for a in assets), page.text
        for asset in assets:
            assert asset.startswith("/_sandbox/"), f"{asset} is not served by the sandbox"
            fetched = http.get(asset)
            assert fetched.status_code == 200, asset
            assert len(fetched.content) > 1000, asset
        assert http.get("/_sandbox/redoc").status_code == 200


def test_openapi_documents_the_consent_form_and_the_booking_body(sandbox: Sandbox) -> None:
    with httpx.Client(base_url=sandbox.base_url, trust_env=False) as http:
        spec = http.get("/_sandbox/openapi.json").json()
    form = spec["paths"]["/oauth/decision"]["post"]["requestBody"]["content"]
    schema = form["application/x-www-form-urlencoded"]["schema"]
    assert schema["properties"]["decision"]["enum"] == ["allow", "deny"]
    assert {"client_id", "scope", "decision"} <= set(schema["required"])
    booking = spec["paths"]["/_sandbox/listings/{item_id}/bookings"]["post"]["requestBody"]
    ref = booking["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    model = spec["components"]["schemas"][ref]
    assert set(model["required"]) == {"check_in", "check_out"}
    assert model["examples"][0]["check_in"]


def test_the_documented_consent_form_gets_a_code(sandbox: Sandbox) -> None:
    """The example body, posted as documented, is what the consent page's Allow sends."""
    with httpx.Client(base_url=sandbox.base_url, trust_env=False) as http:
        spec = http.get("/_sandbox/openapi.json").json()
        example = spec["paths"]["/oauth/decision"]["post"]["requestBody"]["content"][
            "application/x-www-form-urlencoded"
        ]["schema"]["example"]
        body = {**example, "client_id": sandbox.client_id, "redirect_uri": sandbox.redirect_uri}
        answer = http.post("/oauth/decision", data=body)
    assert answer.status_code == 302
    assert "code=" in answer.headers["location"]
