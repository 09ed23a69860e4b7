"""`POST /v1/poll` over real HTTP (ASGI): secret check, 202 at once, one batch at a time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from avito_sync.api.poll import PollGate, router
from tests.support.waiting import wait_for

SECRET = "s" * 40


class Batches:
    """A batch that blocks until released, counting how many started."""

    def __init__(self) -> None:
        self.started = 0
        self.release = asyncio.Event()
        self.running = asyncio.Event()

    async def __call__(self) -> int:
        self.started += 1
        self.running.set()
        await self.release.wait()
        return 0


@pytest.fixture
async def served() -> AsyncIterator[tuple[httpx.AsyncClient, PollGate, Batches]]:
    app = FastAPI()
    app.include_router(router)
    batches = Batches()
    gate = PollGate(batches, SECRET)
    app.state.poll_gate = gate
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
        yield client, gate, batches
    batches.release.set()
    await gate.aclose()


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.mark.parametrize(
    "headers",
    [{}, bearer("wrong" * 8), {"Authorization": SECRET}, {"Authorization": f"Basic {SECRET}"}],
)
async def test_poll_rejects_a_missing_or_wrong_secret(
    served: tuple[httpx.AsyncClient, PollGate, Batches], headers: dict[str, str]
) -> None:
    client, _gate, batches = served
    response = await client.post("/v1/poll", headers=headers, json={})
    assert response.status_code == 401
    assert response.json()["code"] == "POLL_UNAUTHORIZED"
    await asyncio.sleep(0)
    assert batches.started == 0


async def test_poll_answers_202_while_the_batch_still_runs_and_drops_extra_ticks(
    served: tuple[httpx.AsyncClient, PollGate, Batches],
) -> None:
    client, gate, batches = served
    first = await client.post("/v1/poll", headers=bearer(SECRET), json={})
    assert first.status_code == 202
    assert first.json() == {"accepted": True, "reason": "started"}
    await asyncio.wait_for(batches.running.wait(), timeout=5)
    assert gate.busy  # the answer came back while the batch is still running

    second = await client.post("/v1/poll", headers=bearer(SECRET))
    assert second.status_code == 202
    assert second.json() == {"accepted": False, "reason": "busy"}

    batches.release.set()
    await gate.wait_idle()
    third = await client.post("/v1/poll", headers=bearer(SECRET), json={"delay_seconds": 0})
    assert third.json()["reason"] == "started"
    await gate.wait_idle()
    assert batches.started == 2


@pytest.mark.parametrize("body", ['{"delay_seconds": 60}', '{"delay_seconds": -1}', "[1]", "{"])
async def test_poll_rejects_bad_bodies(
    served: tuple[httpx.AsyncClient, PollGate, Batches], body: str
) -> None:
    client, _gate, batches = served
    response = await client.post(
        "/v1/poll",
        headers=bearer(SECRET) | {"Content-Type": "application/json"},
        content=body,
    )
    assert response.status_code == 422
    assert response.json()["code"] == "POLL_INVALID"
    assert batches.started == 0


async def test_a_delayed_poll_starts_later_and_is_dropped_if_busy_then(
    served: tuple[httpx.AsyncClient, PollGate, Batches],
) -> None:
    client, gate, batches = served
    response = await client.post("/v1/poll", headers=bearer(SECRET), json={"delay_seconds": 1})
    assert response.json() == {"accepted": True, "reason": "scheduled"}
    assert batches.started == 0
    await asyncio.wait_for(batches.running.wait(), timeout=5)
    assert batches.started == 1
    # Another delayed poll fires while the first batch still runs: dropped, not queued.
    await client.post("/v1/poll", headers=bearer(SECRET), json={"delay_seconds": 1})
    assert gate.scheduled == 1
    await wait_for(lambda: gate.scheduled == 0)
    assert batches.started == 1
    batches.release.set()
    await gate.wait_idle()


async def test_without_a_gate_the_endpoint_says_so() -> None:
    app = FastAPI()
    app.include_router(router)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://service"
    ) as client:
        response = await client.post("/v1/poll", headers=bearer(SECRET))
    assert response.status_code == 503


def test_a_short_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="32"):
        PollGate(Batches(), "short")
