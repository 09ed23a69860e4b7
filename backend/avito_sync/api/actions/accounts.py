"""`account-detach`: a host removes an Avito account they did not mean to attach (or no
longer want), with its Vault tokens, its listings and every connection that used it."""

from __future__ import annotations

from avito_sync.api import store
from avito_sync.api.actions.answers import AccountDetachAnswer
from avito_sync.api.actions.connect import accounts_payload
from avito_sync.api.auth import User
from avito_sync.api.context import ServiceContext
from avito_sync.api.errors import ApiError, ErrorCode
from avito_sync.api.models import AccountDetachBody
from avito_sync.core.logs import get_logger

log = get_logger(__name__)


async def account_detach(
    ctx: ServiceContext, user: User, body: AccountDetachBody
) -> AccountDetachAnswer:
    """Avito has no token-revocation endpoint: the tokens are deleted here, and the host can
    also revoke the application's access in their Avito profile."""
    async with ctx.pool.connection() as conn, conn.transaction():
        account = await store.owned_account(conn, user.id, body.account_id)
        if account is None:
            raise ApiError(ErrorCode.NOT_OWNER)
        detached = await store.detach_account(conn, user.id, body.account_id)
    log.info(
        "avito_account_detached",
        account_id=str(body.account_id),
        integrations=len(detached),
    )
    return {
        "success": True,
        "account_id": str(body.account_id),
        "avito_user_id": account.avito_user_id,
        "disconnected_integration_ids": [str(ref.id) for ref in detached],
        "accounts": await accounts_payload(ctx, user.id),
    }
