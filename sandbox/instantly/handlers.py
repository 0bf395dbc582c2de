"""HTTP handlers of the Instantly double: parse, call the models under the world lock (thread pool), answer JSON."""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from sandbox import endpoints
from sandbox.instantly import errors, models
from sandbox.world import World

_run = endpoints.run_locked


async def _body(request: Request) -> dict[str, Any]:
    """An empty body is refused like any other non-object."""
    return await endpoints.json_object(request, errors.bad_request, not_json="Body is not valid JSON",
                                       not_object="body must be object", empty_ok=False)


def _email(request: Request) -> str:
    return str(request.path_params["email"])


async def create_account(request: Request, world: World) -> Response:
    body = await _body(request)
    return await _run(world, lambda: models.create(world, body))


async def list_accounts(request: Request, world: World) -> Response:
    try:
        limit = int(request.query_params.get("limit", 100))
    except ValueError:
        raise errors.bad_request("querystring/limit must be integer") from None
    if not 1 <= limit <= 100:
        raise errors.bad_request("querystring/limit must be <= 100")
    after = request.query_params.get("starting_after")
    return await _run(world, lambda: models.page(world, limit, after))


async def get_account(request: Request, world: World) -> Response:
    return await _run(world, lambda: models.account_json(models.get(world, _email(request))))


async def patch_account(request: Request, world: World) -> Response:
    body = await _body(request)
    return await _run(world, lambda: models.patch(world, _email(request), body))


async def delete_account(request: Request, world: World) -> Response:
    return await _run(world, lambda: models.delete(world, _email(request)))


async def pause_account(request: Request, world: World) -> Response:
    return await _run(world, lambda: models.set_paused(world, _email(request), True))


async def resume_account(request: Request, world: World) -> Response:
    return await _run(world, lambda: models.set_paused(world, _email(request), False))


def _day(raw: str | None, default: dt.date) -> str:
    if raw is None:
        return default.isoformat()
    try:
        return dt.date.fromisoformat(raw).isoformat()
    except ValueError:
        raise errors.bad_request(f"'{raw}' is not a valid date (YYYY-MM-DD)") from None


async def daily_analytics(request: Request, world: World) -> Response:
    """`emails` may repeat (`emails=a&emails=b`) or be comma separated, as clients send string arrays both ways."""
    today = dt.datetime.now(dt.UTC).date()
    start = _day(request.query_params.get("start_date"), today - dt.timedelta(days=30))
    end = _day(request.query_params.get("end_date"), today)
    emails = [e for raw in request.query_params.getlist("emails") for e in raw.split(",") if e.strip()]
    return await _run(world, lambda: models.daily(world, start, end, emails))


async def record_activity(request: Request, world: World) -> Response:
    """Sandbox only (no such endpoint at Instantly): `{email, date?, sent, bounced, replies, ...}`."""
    body = await _body(request)
    day = _day(body.get("date"), dt.datetime.now(dt.UTC).date())
    return await _run(world, lambda: models.record(world, str(body.get("email", "")), day, body))
