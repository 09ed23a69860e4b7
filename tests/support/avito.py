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
)
