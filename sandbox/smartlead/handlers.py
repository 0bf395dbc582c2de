"""HTTP handlers of the Smartlead double: parse, call the models under the world lock (thread pool), answer JSON."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.smartlead import errors, models
from sandbox.world import World

Handler = Callable[[Request, World], Awaitable[Response]]


async def _run(world: World, fn: Callable[[], Any]) -> Response:
    def locked() -> Any:
        with world.lock:
            return fn()

    return JSONResponse(await run_in_threadpool(locked))


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        data = await request.json()
    except ValueError:
        raise errors.bad_request("Request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise errors.bad_request("Request body must be a JSON object")
    return data


def _id(request: Request) -> int:
    try:
        return int(request.path_params["account_id"])
    except ValueError:
        raise errors.bad_request("email_account_id must be a number") from None


def _query_int(request: Request, name: str, default: int) -> int:
    try:
        return int(request.query_params.get(name, default))
    except ValueError:
        raise errors.bad_request(f"{name} must be a number") from None


async def save_account(request: Request, world: World) -> Response:
    body = await _body(request)
    return await _run(world, lambda: models.save(world, body))


async def list_accounts(request: Request, world: World) -> Response:
    offset, limit = _query_int(request, "offset", 0), _query_int(request, "limit", 100)
    if offset < 0 or not 1 <= limit <= 100:
        raise errors.bad_request("offset must be >= 0 and limit between 1 and 100")
    return await _run(world, lambda: models.page(world, offset, limit))


async def get_account(request: Request, world: World) -> Response:
    return await _run(world, lambda: models.account_json(models.get(world, _id(request))))


async def update_account(request: Request, world: World) -> Response:
    body = await _body(request)
    return await _run(world, lambda: models.update(world, _id(request), body))


async def warmup(request: Request, world: World) -> Response:
    body = await _body(request)
    return await _run(world, lambda: models.set_warmup(world, _id(request), body))


async def suspend(request: Request, world: World) -> Response:
    return await _run(world, lambda: models.set_suspended(world, _id(request), True))


async def unsuspend(request: Request, world: World) -> Response:
    return await _run(world, lambda: models.set_suspended(world, _id(request), False))


async def delete_account(request: Request, world: World) -> Response:
    return await _run(world, lambda: models.delete(world, _id(request)))
