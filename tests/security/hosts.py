"""A host whose property is connected to the sandbox's listing through the service, the
starting point of several replays."""

from __future__ import annotations

import uuid
from typing import NamedTuple

from tests.api.conftest import Service
from tests.api.connected import connect_and_save


class ConnectedHost(NamedTuple):
    user: uuid.UUID
    property_id: uuid.UUID
    account_id: str


async def connected_host(service: Service) -> ConnectedHost:
    """A new host: one property, its Avito account connected, the sandbox's listing saved."""
    connected = await connect_and_save(service)
    return ConnectedHost(connected.host, connected.prop, connected.account_id)
