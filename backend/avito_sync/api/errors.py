"""The error catalogue: stable codes, Russian messages ready to show, and their HTTP status.

Business errors travel as HTTP 200 with `success: false` because supabase-js drops the
body of any non-2xx reply (docs/app-contract.md §3); only authentication and
authorisation failures and malformed requests use 4xx.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import psycopg
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from avito_sync.core.logs import get_logger

log = get_logger(__name__)


class ErrorCode(StrEnum):
    AUTH_REQUIRED = "AUTH_REQUIRED"
    INVALID_TOKEN = "INVALID_TOKEN"  # noqa: S105 - an error code, not a secret
    FORWARDER_SECRET_INVALID = "FORWARDER_SECRET_INVALID"  # noqa: S105 - an error code
    FORBIDDEN_ROLE = "FORBIDDEN_ROLE"
    NOT_OWNER = "NOT_OWNER"
    INVALID_JSON = "INVALID_JSON"
    INVALID_REQUEST = "INVALID_REQUEST"
    UNKNOWN_ACTION = "UNKNOWN_ACTION"
    ACTION_GONE = "ACTION_GONE"
    NOT_FOUND = "NOT_FOUND"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    STATE_INVALID = "STATE_INVALID"
    STATE_EXPIRED = "STATE_EXPIRED"
    STATE_USED = "STATE_USED"
    CODE_INVALID = "CODE_INVALID"
    ACCOUNT_MISMATCH = "ACCOUNT_MISMATCH"
    AVITO_CREDENTIALS = "AVITO_CREDENTIALS"
    AVITO_UNAVAILABLE = "AVITO_UNAVAILABLE"
    RECONNECT_REQUIRED = "RECONNECT_REQUIRED"
    ITEM_NOT_FOUND = "ITEM_NOT_FOUND"
    ITEM_FORBIDDEN = "ITEM_FORBIDDEN"
    ITEM_IN_USE = "ITEM_IN_USE"
    INTEGRATION_NOT_FOUND = "INTEGRATION_NOT_FOUND"
    SYNC_FAILED = "SYNC_FAILED"
    PAID_CONFLICT = "PAID_CONFLICT"
    DATABASE_UNAVAILABLE = "DATABASE_UNAVAILABLE"
    RATE_LIMITED = "RATE_LIMITED"
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
    INTERNAL_ERROR = "INTERNAL_ERROR"
    CHANNEL_NOT_FOUND = "CHANNEL_NOT_FOUND"
    CHANNEL_LIMIT = "CHANNEL_LIMIT"
    CHANNEL_NO_SECRET = "CHANNEL_NO_SECRET"  # noqa: S105 - an error code, not a secret
    WEBHOOK_URL_INVALID = "WEBHOOK_URL_INVALID"
    TELEGRAM_NOT_CONFIGURED = "TELEGRAM_NOT_CONFIGURED"
    PUSH_NOT_CONFIGURED = "PUSH_NOT_CONFIGURED"
    PUSH_SUBSCRIPTION_NOT_FOUND = "PUSH_SUBSCRIPTION_NOT_FOUND"


MESSAGES: dict[ErrorCode, str] = {
    ErrorCode.AUTH_REQUIRED: "Требуется вход в систему.",
    ErrorCode.INVALID_TOKEN: "Сессия недействительна или истекла. Войдите снова.",
    ErrorCode.FORWARDER_SECRET_INVALID: (
        "Запрос должен приходить через функции Supabase этого проекта."
    ),
    ErrorCode.FORBIDDEN_ROLE: "Действие доступно только вошедшим пользователям.",
    ErrorCode.NOT_OWNER: "Объект не найден или у вас нет к нему доступа.",
    ErrorCode.INVALID_JSON: "Тело запроса должно быть JSON-объектом.",
    ErrorCode.INVALID_REQUEST: "Некорректные параметры запроса.",
    ErrorCode.UNKNOWN_ACTION: "Неизвестное действие.",
    ErrorCode.ACTION_GONE: "Это действие больше не поддерживается. Обновите приложение.",
    ErrorCode.NOT_FOUND: "Адрес не найден.",
    ErrorCode.METHOD_NOT_ALLOWED: "Метод не поддерживается.",
    ErrorCode.STATE_INVALID: "Ссылка авторизации Avito повреждена. Начните подключение заново.",
    ErrorCode.STATE_EXPIRED: "Время на подключение Avito истекло. Начните подключение заново.",
    # The app's callback page opens its "start again" dialog when the text says invalid_grant.
    ErrorCode.STATE_USED: (
        "Эта авторизация Avito уже использована (invalid_grant). Начните подключение заново."
    ),
    ErrorCode.CODE_INVALID: (
        "Код авторизации Avito недействителен или уже использован (invalid_grant). "
        "Начните подключение заново."
    ),
    ErrorCode.ACCOUNT_MISMATCH: (
        "Объект уже подключён к другому аккаунту Avito. Войдите в Avito под тем аккаунтом "
        "или сначала удалите интеграцию объекта, затем подключите новый аккаунт."
    ),
    ErrorCode.AVITO_CREDENTIALS: (
        "Avito отклонил данные приложения (client_id, secret или redirect_uri). "
        "Обратитесь в поддержку."
    ),
    ErrorCode.AVITO_UNAVAILABLE: "Avito временно недоступен. Попробуйте ещё раз через минуту.",
    ErrorCode.RECONNECT_REQUIRED: "Доступ к Avito истёк или отозван. Подключите аккаунт заново.",
    ErrorCode.ITEM_NOT_FOUND: "Объявление с таким ID не найдено в аккаунте Avito. Проверьте ID.",
    ErrorCode.ITEM_FORBIDDEN: "Это объявление принадлежит другому аккаунту Avito.",
    ErrorCode.ITEM_IN_USE: "Этот ID уже используется в другой интеграции. Выберите другой.",
    ErrorCode.INTEGRATION_NOT_FOUND: "Интеграция с Avito не найдена или отключена.",
    ErrorCode.SYNC_FAILED: "Синхронизация с Avito завершилась с ошибкой.",
    ErrorCode.PAID_CONFLICT: "Avito: Есть оплаченные брони — верните деньги вручную",
    ErrorCode.DATABASE_UNAVAILABLE: "Сервис временно недоступен. Попробуйте через минуту.",
    ErrorCode.RATE_LIMITED: "Слишком много запросов. Подождите немного и попробуйте снова.",
    ErrorCode.PAYLOAD_TOO_LARGE: "Слишком большой запрос.",
    ErrorCode.INTERNAL_ERROR: "Внутренняя ошибка сервиса. Попробуйте позже.",
    ErrorCode.CHANNEL_NOT_FOUND: "Канал уведомлений не найден.",
    ErrorCode.CHANNEL_LIMIT: "Можно подключить не больше 20 каналов уведомлений.",
    ErrorCode.CHANNEL_NO_SECRET: "Секрет подписи есть только у вебхуков.",
    ErrorCode.WEBHOOK_URL_INVALID: (
        "Этот адрес нельзя использовать для вебхука: нужен https-адрес в интернете "
        "(не локальный и не внутренний)."
    ),
    ErrorCode.TELEGRAM_NOT_CONFIGURED: "Уведомления в Telegram пока не настроены на сервере.",
    ErrorCode.PUSH_NOT_CONFIGURED: "Push-уведомления пока не настроены на сервере.",
    ErrorCode.PUSH_SUBSCRIPTION_NOT_FOUND: (
        "Подписка на push-уведомления не найдена. Разрешите уведомления в браузере и "
        "попробуйте снова."
    ),
}

STATUS: dict[ErrorCode, int] = {
    ErrorCode.AUTH_REQUIRED: 401,
    ErrorCode.INVALID_TOKEN: 401,
    ErrorCode.FORWARDER_SECRET_INVALID: 401,
    ErrorCode.FORBIDDEN_ROLE: 403,
    ErrorCode.NOT_OWNER: 403,
    ErrorCode.INVALID_JSON: 400,
    ErrorCode.INVALID_REQUEST: 400,
    ErrorCode.UNKNOWN_ACTION: 400,
    ErrorCode.ACTION_GONE: 410,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.METHOD_NOT_ALLOWED: 405,
    ErrorCode.DATABASE_UNAVAILABLE: 503,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.PAYLOAD_TOO_LARGE: 413,
    ErrorCode.INTERNAL_ERROR: 500,
}


class ApiError(Exception):
    """Raised anywhere in a request; rendered by `api_error_handler`."""

    def __init__(self, code: ErrorCode, *, message: str | None = None, **extra: Any) -> None:
        super().__init__(code.value)
        self.code = code
        self.message = message or MESSAGES[code]
        self.extra = extra

    @property
    def status(self) -> int:
        return STATUS.get(self.code, 200)

    def body(self) -> dict[str, Any]:
        # `error` mirrors `message` because the app shows `data.error || data.message`.
        return {
            "success": False,
            "code": self.code.value,
            "message": self.message,
            "error": self.message,
            **self.extra,
        }


def error_response(error: ApiError) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
    if error.code == ErrorCode.RATE_LIMITED:
        headers = {"Retry-After": str(error.extra["retry_after"])}
    return JSONResponse(error.body(), status_code=error.status, headers=headers)


async def api_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc)


UNION_TAG_ERRORS = {"union_tag_invalid", "union_tag_not_found"}


def _field_problems(exc: RequestValidationError) -> list[dict[str, str]]:
    problems = []
    for item in exc.errors():
        loc = [str(part) for part in item.get("loc", ()) if part != "body"]
        if item.get("type") in UNION_TAG_ERRORS:
            loc = [*loc, "action"]
        problems.append({"field": ".".join(loc) or "body", "problem": str(item.get("msg", ""))})
    return problems


async def validation_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    kinds = {item.get("type") for item in exc.errors()}
    if "json_invalid" in kinds:
        code = ErrorCode.INVALID_JSON
    elif "union_tag_invalid" in kinds:
        code = ErrorCode.UNKNOWN_ACTION
    else:
        code = ErrorCode.INVALID_REQUEST
    return error_response(ApiError(code, details=_field_problems(exc)))


async def http_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: ErrorCode.NOT_FOUND, 405: ErrorCode.METHOD_NOT_ALLOWED}.get(
        exc.status_code, ErrorCode.INVALID_REQUEST
    )
    response = error_response(ApiError(code))
    response.status_code = exc.status_code
    return response


async def unexpected_error_handler(request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, psycopg.OperationalError):
        # Connection lost, pool closed or exhausted: the client may retry, nothing was half-done
        # (every write that must be atomic runs in one transaction).
        log.warning("database_unavailable", path=request.url.path, error_type=type(exc).__name__)
        return error_response(ApiError(ErrorCode.DATABASE_UNAVAILABLE))
    log.error("unhandled_error", path=request.url.path, error_type=type(exc).__name__)
    return error_response(ApiError(ErrorCode.INTERNAL_ERROR))
