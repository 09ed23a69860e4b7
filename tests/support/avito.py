"""Facts about Avito's API that several test folders check against."""

from __future__ import annotations

# Every operation of Avito's OpenAPI specs the project calls (and the sandbox serves).
OPERATIONS_WE_CALL = (
    "getAccessToken",
    "getAccessTokenAuthorizationCode",
    "refreshAccessTokenAuthorizationCode",
    "getUserInfoSelf",
    "getItemsInfo",
    "getItemInfo",
    "getRealtyBookings",
    "putBookingsInfo",
    "postRealtyPrices",
    "putIntervals",
    "postBaseParams",
    *(
        MESSENGER_OPERATIONS := (
            "getChatsV2",
            "getMessagesV3",
            "postSendMessage",
            "chatRead",
            "postWebhookV3",
            "postWebhookUnsubscribe",
        )
    ),
)
# messenger.json documents, as postWebhookV3's 201, the notification Avito posts to the
# subscriber; no call answers it (the sandbox's deliveries are checked against it instead).
WEBHOOK_NOTIFICATION_STATUS = 201
