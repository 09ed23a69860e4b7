"""Translation of Avito client failures into the service's error codes."""

from __future__ import annotations

from avito_sync.api.errors import ApiError, ErrorCode
from avito_sync.avito.errors import (
    AvitoError,
    ForbiddenError,
    InvalidGrantError,
    NotFoundError,
    OAuthError,
    ReconnectNeededError,
)


def api_error_for(error: AvitoError) -> ApiError:
    """The user-facing error for a failed Avito call (never carries Avito's raw text)."""
    match error:
        case ReconnectNeededError():
            return ApiError(ErrorCode.RECONNECT_REQUIRED)
        case InvalidGrantError():
            return ApiError(ErrorCode.CODE_INVALID)
        case OAuthError():
            return ApiError(ErrorCode.AVITO_CREDENTIALS)
        case NotFoundError():
            return ApiError(ErrorCode.ITEM_NOT_FOUND)
        case ForbiddenError():
            return ApiError(ErrorCode.ITEM_FORBIDDEN)
        case _:
            return ApiError(ErrorCode.AVITO_UNAVAILABLE)
