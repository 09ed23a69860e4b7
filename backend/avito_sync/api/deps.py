"""FastAPI dependencies: the process context and the authenticated caller."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Header, Request

from avito_sync.api.auth import User, bearer_token
from avito_sync.api.context import ServiceContext


def get_context(request: Request) -> ServiceContext:
    return cast(ServiceContext, request.app.state.context)


Context = Annotated[ServiceContext, Depends(get_context)]


async def current_user(
    context: Context,
    authorization: Annotated[str | None, Header()] = None,
) -> User:
    return await context.verifier.verify(bearer_token(authorization))


CurrentUser = Annotated[User, Depends(current_user)]
