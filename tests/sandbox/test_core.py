"""Account and item discovery: accounts/self, the paginated items list with its 25/min limit,
and item info statuses."""

from __future__ import annotations

from tests.fixtures.sandbox import Sandbox
from tests.sandbox.conftest import Api


def test_accounts_self_is_the_token_owner(api: Api, sandbox: Sandbox) -> None:
    response = api.call("getUserInfoSelf", "GET", "/core/v1/accounts/self")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == sandbox.account_id
    assert body["phones"] == [body["phone"]]
    assert set(body) == {"id", "name", "email", "phone", "phones", "profile_url"}


def test_client_credentials_of_another_app_act_as_its_account(api: Api, sandbox: Sandbox) -> None:
    other = sandbox.control.add_account("Второй хозяин")
    sandbox.control.add_application(
        "second-sandbox-application-id",
        "second-secret",
        "https://example.com/cb",
        account_id=other.id,
    )
    token = api.http.post(
        "/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "second-sandbox-application-id",
            "client_secret": "second-secret",
        },
    ).json()["access_token"]
    me = api.call("getUserInfoSelf", "GET", "/core/v1/accounts/self", token=token)
    assert me.json()["id"] == other.id


def _items(api: Api, **params: object) -> tuple[int, list[int], dict[str, object]]:
    response = api.call("getItemsInfo", "GET", "/core/v1/items", params=params)
    body = response.json()
    ids = [r["id"] for r in body.get("resources", [])]
    return response.status_code, ids, body


def test_items_paginate_without_a_total(api: Api, sandbox: Sandbox) -> None:
    more = [sandbox.control.add_listing(sandbox.account_id).id for _ in range(3)]
    sandbox.control.add_listing(sandbox.account_id, status="removed")
    everything = sorted([*sandbox.item_ids, *more])
    status, page1, body = _items(api, per_page=2, page=1)
    assert status == 200
    assert body["meta"] == {"page": 1, "per_page": 2}
    assert set(body) == {"meta", "resources"}
    _, page2, _ = _items(api, per_page=2, page=2)
    _, page3, _ = _items(api, per_page=2, page=3)
    assert [*page1, *page2, *page3] == everything
    assert len(page3) == 1  # the short page tells the client to stop
    _, page4, _ = _items(api, per_page=2, page=4)
    assert page4 == []


def test_items_filter_by_status_and_owner(api: Api, sandbox: Sandbox) -> None:
    removed = sandbox.control.add_listing(sandbox.account_id, status="removed").id
    other = sandbox.control.add_account()
    sandbox.control.add_listing(other.id)
    _, default, _ = _items(api)
    _, both, _ = _items(api, status="active,removed")
    _, only_removed, _ = _items(api, status="removed")
    assert default == sorted(sandbox.item_ids)
    assert both == sorted([*sandbox.item_ids, removed])
    assert only_removed == [removed]


def test_items_reject_bad_paging_with_flat_errors(api: Api) -> None:
    for params in ({"per_page": 100}, {"per_page": 0}, {"page": 0}, {"status": "sold"}):
        status, _, body = _items(api, **params)
        assert status == 400, params
        assert set(body) == {"code", "message"}
        assert isinstance(body["code"], str)


def test_items_are_limited_to_25_a_minute_per_token(api: Api, sandbox: Sandbox) -> None:
    remaining = []
    for _ in range(25):
        response = api.call("getItemsInfo", "GET", "/core/v1/items")
        assert response.status_code == 200
        assert response.headers["X-RateLimit-Limit"] == "25"
        remaining.append(int(response.headers["X-RateLimit-Remaining"]))
    assert remaining == list(range(24, -1, -1))
    limited = api.call("getItemsInfo", "GET", "/core/v1/items")
    assert limited.status_code == 429
    assert limited.json() == {}
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    other_token = api.client_credentials()
    assert api.call("getItemsInfo", "GET", "/core/v1/items", token=other_token).status_code == 200
    sandbox.control.advance_clock(60)
    assert api.call("getItemsInfo", "GET", "/core/v1/items").status_code == 200


def test_item_info_statuses(api: Api, sandbox: Sandbox) -> None:
    other = sandbox.control.add_account()
    theirs = sandbox.control.add_listing(other.id).id
    blocked = sandbox.control.add_listing(sandbox.account_id, status="blocked").id

    def info(item_id: int, user_id: int = sandbox.account_id) -> tuple[int, dict[str, object]]:
        response = api.call("getItemInfo", "GET", f"/core/v1/accounts/{user_id}/items/{item_id}/")
        return response.status_code, response.json()

    status, mine = info(sandbox.item_id)
    assert (status, mine["status"]) == (200, "active")
    assert str(sandbox.item_id) in str(mine["url"])
    assert info(blocked)[1]["status"] == "blocked"
    assert info(theirs) == (200, {"status": "another_user"})
    assert info(99_999_999_999) == (200, {"status": "not_found"})
    forbidden_status, forbidden = info(sandbox.item_id, user_id=other.id)
    assert forbidden_status == 403
    assert forbidden["code"] == "403"
