"""The 200 bodies of `POST /functions/v1/avito-sync`, one closed shape per action.

Handlers build plain dicts that mypy checks against these; the route documents their union
and sends each dict as it is (`api/responses.py` says why they are `TypedDict`s).
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired

from typing_extensions import TypedDict

from avito_sync.api.responses import ApiFailure, IntegrationSyncAnswer, SyncAnswer, closed

# --- accounts, listings, status ---------------------------------------------------------------


@closed
class AccountView(TypedDict):
    id: str
    avito_user_id: int
    name: str | None
    is_primary: bool
    needs_reconnect: bool
    token_expires_at: str | None


@closed
class AccountsAnswer(TypedDict):
    success: Literal[True]
    accounts: list[AccountView]


@closed
class AccountDetachAnswer(TypedDict):
    success: Literal[True]
    account_id: str
    avito_user_id: int
    disconnected_integration_ids: list[str]
    accounts: list[AccountView]


@closed
class ItemView(TypedDict):
    id: int
    title: str | None
    status: str | None
    url: str | None


@closed
class ItemsAnswer(TypedDict):
    success: Literal[True]
    cached: bool
    items: list[ItemView]


@closed
class CheckedItemView(TypedDict):
    id: int
    status: str | None
    url: str | None


@closed
class ValidateItemAnswer(TypedDict):
    success: Literal[True]
    available: Literal[True]
    item: CheckedItemView


@closed
class MarkupView(TypedDict):
    markup_type: Literal["percent", "fixed"]
    markup_value: float


@closed
class OptionalMarkupView(TypedDict, total=False):
    markup_type: Literal["percent", "fixed"]
    markup_value: float


@closed
class AttachedAccount(TypedDict):
    id: str
    name: str | None
    avito_user_id: int | None


@closed
class StatusView(TypedDict):
    """The connect badge; every key but `state` and `connected` only once connected."""

    state: str
    connected: bool
    integration_id: NotRequired[str]
    account_id: NotRequired[str | None]
    account_name: NotRequired[str | None]
    avito_user_id: NotRequired[int | None]
    account: NotRequired[AttachedAccount | None]
    item_id: NotRequired[int | None]
    markup: NotRequired[float | None]
    markup_type: NotRequired[Literal["percent", "fixed"]]
    markup_value: NotRequired[float]
    last_sync_at: NotRequired[str | None]
    next_sync_at: NotRequired[str | None]
    token_expires_at: NotRequired[str | None]
    needs_reconnect: NotRequired[bool]
    last_error: NotRequired[str | None]


@closed
class StatusAnswer(StatusView):
    success: Literal[True]


@closed
class SaveIntegrationAnswer(TypedDict):
    success: Literal[True]
    integration_id: str
    sync: SyncAnswer
    status: StatusView


@closed
class MarkupAnswer(MarkupView):
    success: Literal[True]
    integration_id: str
    markup: float


@closed
class DisconnectAnswer(TypedDict):
    success: Literal[True]
    integration_id: str
    calendar_closed: bool


# --- connect ----------------------------------------------------------------------------------


@closed
class OAuthUrlAnswer(TypedDict):
    success: Literal[True]
    url: str
    state: str
    expires_at: str


@closed
class ExchangeAnswer(TypedDict):
    success: Literal[True]
    account_id: str
    avito_user_id: int
    property_id: str
    accounts: list[AccountView]
    expires_in: int
    token_type: str


@closed
class ProgressSaveAnswer(TypedDict):
    success: Literal[True]
    expires_at: str


@closed
class ProgressLoadAnswer(TypedDict):
    success: Literal[True]
    progress: dict[str, Any] | None
    expires_at: str | None


# --- notification channels --------------------------------------------------------------------


@closed
class LastDelivery(TypedDict):
    status: str
    error: str | None
    at: str


@closed
class ChannelView(TypedDict):
    """A channel as the host sees it: never a secret, never push keys."""

    id: str
    kind: str
    label: str | None
    target: str | None
    active: bool
    events: list[str]
    has_secret: bool
    created_at: str
    last_delivery: LastDelivery | None
    failures_30d: int


@closed
class PushSubscriptionOffer(TypedDict):
    subscription_id: str
    created_at: str


@closed
class ChannelsAnswer(TypedDict):
    success: Literal[True]
    channels: list[ChannelView]
    push_subscriptions_available: list[PushSubscriptionOffer]
    event_choices: list[str]
    telegram_available: bool
    web_push_available: bool


@closed
class ChannelAnswer(TypedDict):
    success: Literal[True]
    channel: ChannelView


@closed
class ChannelSecretAnswer(ChannelAnswer):
    """The signing secret, shown this once."""

    secret: str


@closed
class TelegramLinkAnswer(TypedDict):
    success: Literal[True]
    url: str
    expires_at: str


@closed
class RotatedSecretAnswer(TypedDict):
    success: Literal[True]
    channel_id: str
    secret: str


@closed
class ChannelTestAnswer(TypedDict):
    success: Literal[True]
    delivered: bool
    channel_id: str
    error: NotRequired[str]


@closed
class ChannelRemovedAnswer(TypedDict):
    success: Literal[True]
    channel_id: str
    removed: Literal[True]


ActionAnswer = (
    OAuthUrlAnswer
    | ExchangeAnswer
    | ProgressSaveAnswer
    | ProgressLoadAnswer
    | AccountsAnswer
    | ItemsAnswer
    | ValidateItemAnswer
    | SaveIntegrationAnswer
    | MarkupAnswer
    | DisconnectAnswer
    | IntegrationSyncAnswer
    | StatusAnswer
    | AccountDetachAnswer
    | ChannelsAnswer
    | ChannelSecretAnswer
    | ChannelAnswer
    | TelegramLinkAnswer
    | RotatedSecretAnswer
    | ChannelTestAnswer
    | ChannelRemovedAnswer
    | ApiFailure
)
"""Any 200 body of `POST /functions/v1/avito-sync`."""
