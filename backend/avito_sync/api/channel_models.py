"""Request bodies of the channel actions on `POST /functions/v1/avito-sync` (issue #11)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

EventCategory = Literal[
    "new_booking",
    "booking_changed",
    "sync_failing",
    "reconnect_needed",
    "token_expiring",
    "import_summary",
    "new_message",
]
"""What a host may choose per channel (`notification_channels.events`)."""

EVENT_CATEGORIES: tuple[EventCategory, ...] = (
    "new_booking",
    "booking_changed",
    "sync_failing",
    "reconnect_needed",
    "token_expiring",
    "import_summary",
    "new_message",
)

Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
Events = Annotated[list[EventCategory], Field(max_length=len(EVENT_CATEGORIES))]


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class ChannelsListBody(_Body):
    action: Literal["channels-list"]


class ChannelAddWebhookBody(_Body):
    action: Literal["channel-add-webhook"]
    url: str = Field(min_length=1, max_length=2000)
    label: Label | None = None
    events: Events | None = None


class ChannelAddPushBody(_Body):
    action: Literal["channel-add-push"]
    subscription_id: uuid.UUID
    label: Label | None = None
    events: Events | None = None


class ChannelTelegramLinkBody(_Body):
    action: Literal["channel-telegram-link"]


class ChannelRefBody(_Body):
    action: Literal["channel-rotate-secret", "channel-test", "channel-remove"]
    channel_id: uuid.UUID


class ChannelUpdateBody(_Body):
    action: Literal["channel-update"]
    channel_id: uuid.UUID
    active: bool | None = None
    events: Events | None = None
    label: Label | None = None


ChannelBody = (
    ChannelsListBody
    | ChannelAddWebhookBody
    | ChannelAddPushBody
    | ChannelTelegramLinkBody
    | ChannelRefBody
    | ChannelUpdateBody
)
