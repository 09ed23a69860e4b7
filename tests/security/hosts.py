"""A host whose property is connected to the sandbox's listing through the service, the
starting point of several replays."""

from __future__ import annotations

import uuid
from typing import NamedTuple

from tests.api.conftest import Service


class ConnectedHost(NamedTuple):
    user: uuid.UUID
    property_id: uuid.UUID
    account_id: str


async def connected_host(service: Service) -> ConnectedHost:
    """A new host: one property, its Avito account connected, the sandbox's listing saved."""
    host = service.user()
    prop = service.property(host)
    account_id = (await service.connect(host, prop))["account_id"]
    saved = await service.act(
        host,
        "save-integration",
        property_id=str(prop),
        account_id=account_id,
        item_id=service.sandbox.item_id,
    )
    assert saved.json()["success"] is True, saved.json()
    return ConnectedHost(host, prop, account_id)
