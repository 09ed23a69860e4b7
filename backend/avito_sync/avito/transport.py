"""The HTTP transport to Avito: keep-alive pools split into shards of a few connections.

httpcore's pool looks at every connection (and asks each socket whether it is still
readable) for every request it assigns, and it reassigns on every request and every response
close. With a hundred polls in flight that scan was most of a steady-state poll's CPU
(issue #12 profile). Several small pools, each request going to the least busy one, keep
each scan a few connections long; the total number of connections stays the configured one.
"""

from __future__ import annotations

import httpx

CONNECTIONS_PER_SHARD = 8
KEEPALIVE_SECONDS = 4.0
"""Idle keep-alive connections are dropped after this, below the 5 s idle timeout common
servers use (uvicorn's default, so the sandbox's): reusing a connection the server is closing
at that moment fails the request (the capacity bench saw ReadError / RemoteProtocolError)."""


class ShardedTransport(httpx.AsyncBaseTransport):
    def __init__(self, max_connections: int, *, per_shard: int = CONNECTIONS_PER_SHARD) -> None:
        count = max(1, -(-max_connections // per_shard))
        size = max(1, -(-max_connections // count))
        limits = httpx.Limits(
            max_connections=size, max_keepalive_connections=size, keepalive_expiry=KEEPALIVE_SECONDS
        )
        self._shards = [
            httpx.AsyncHTTPTransport(limits=limits, trust_env=False) for _ in range(count)
        ]
        self._busy = [0] * count

    @property
    def shards(self) -> int:
        return len(self._shards)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        index = min(range(len(self._busy)), key=self._busy.__getitem__)
        self._busy[index] += 1
        try:
            return await self._shards[index].handle_async_request(request)
        finally:
            # Released when the headers are in: the body is read on the same connection
            # right after, so the count stays a good measure of who is waiting.
            self._busy[index] -= 1

    async def aclose(self) -> None:
        for shard in self._shards:
            await shard.aclose()
