"""A new host with its property connected to the sandbox's listing through the service: the
starting point of the integration tests and of several security replays."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from tests.api.conftest import Service


@dataclass(frozen=True)
class Connected:
    host: uuid.UUID
    prop: uuid.UUID
    account_id: str
    integration_id: str


async def connect_and_save(service: Service, **save: Any) -> Connected:
    """One property, its Avito account connected, the sandbox's listing saved; `save` adds
    fields to the `save-integration` call (e.g. `markup`)."""
    host = service.user()
    prop = service.property(host)
    account_id = (await service.connect(host, prop))["account_id"]
    saved = (
        await service.act(
            host,
            "save-integration",
            property_id=str(prop),
            account_id=account_id,
            item_id=service.sandbox.item_id,
            **save,
        )
    ).json()
    assert saved["success"] is True, saved
    return Connected(host, prop, account_id, saved["integration_id"])
