"""HTTP handlers of the Smartlead double: parse, call the models under the world lock (thread pool), answer JSON."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from sandbox import endpoints
from sandbox.smartlead import errors, models
from sandbox.world import World

_run = endpoints.run_locked


async def _body(request: Request) -> dict[str, Any]:
    return await endpoints.json_object(request, errors.bad_request, not_json="Request body is not valid JSON",
                                       not_object="Request body must be a JSON object")


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
