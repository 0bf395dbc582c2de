"""HTTP handlers of the Cloudflare v4 double (zones and DNS records): parse, call the backend, serialize."""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from sandbox.cloudflare import errors
from sandbox.cloudflare.backend import CloudflareBackend

log = logging.getLogger(__name__)

ID_RE = re.compile(r"^[0-9a-f]{32}$")
Handler = Callable[[Request, CloudflareBackend], Awaitable[Response]]


def paging(params: dict[str, str], total: int, default: int, maximum: int) -> tuple[slice, dict[str, Any]]:
    try:
        page = int(float(params.get("page", 1)))
        per_page = int(float(params.get("per_page", default)))
    except ValueError:
        raise errors.validation("page and per_page must be numbers", 1004) from None
    if page < 1 or per_page < 1:
        raise errors.validation("page and per_page must be positive", 1004)
    per_page = min(per_page, maximum)
    start = (page - 1) * per_page
    window = slice(start, start + per_page)
    info = {"page": page, "per_page": per_page, "count": max(0, min(per_page, total - start)),
            "total_count": total, "total_pages": math.ceil(total / per_page)}
    return window, info


async def body_of(request: Request) -> dict[str, Any]:
    try:
        data = await request.json()
    except ValueError:
        raise errors.CfError(400, 6007, "Malformed JSON in request body") from None
    if not isinstance(data, dict):
        raise errors.CfError(400, 6007, "Malformed JSON in request body")
    return data


def _id_param(request: Request, name: str) -> str:
    """A 32-hex id from the path; anything else is an unknown route, as Cloudflare answers it."""
    value = str(request.path_params[name])
    if not ID_RE.match(value):
        raise errors.bad_route(request.url.path)
    return value


def zone_id_of(request: Request) -> str:
    return _id_param(request, "zone_id")


def record_id_of(request: Request) -> str:
    return _id_param(request, "record_id")


async def list_zones(request: Request, api: CloudflareBackend) -> Response:
    params = dict(request.query_params)
    zones = await run_in_threadpool(api.list_zones, params)
    window, info = paging(params, len(zones), 20, 50)
    return errors.envelope(zones[window], result_info=info)


async def create_zone(request: Request, api: CloudflareBackend) -> Response:
    data = await body_of(request)
    return errors.envelope(await run_in_threadpool(api.create_zone, data))


async def get_zone(request: Request, api: CloudflareBackend) -> Response:
    return errors.envelope(await run_in_threadpool(api.get_zone, zone_id_of(request)))


async def activation_check(request: Request, api: CloudflareBackend) -> Response:
    return errors.envelope(await run_in_threadpool(api.activation_check, zone_id_of(request)))


async def delete_zone(request: Request, api: CloudflareBackend) -> Response:
    return errors.envelope(await run_in_threadpool(api.delete_zone, zone_id_of(request)))


async def list_records(request: Request, api: CloudflareBackend) -> Response:
    params = dict(request.query_params)
    records = await run_in_threadpool(api.list_records, zone_id_of(request), params)
    window, info = paging(params, len(records), 100, 5000)
    return errors.envelope(records[window], result_info=info)


async def create_record(request: Request, api: CloudflareBackend) -> Response:
    data = await body_of(request)
    result, messages = await run_in_threadpool(api.create_record, zone_id_of(request), data)
    return errors.envelope(result, messages=messages)


async def get_record(request: Request, api: CloudflareBackend) -> Response:
    return errors.envelope(await run_in_threadpool(api.get_record, zone_id_of(request), record_id_of(request)))


async def update_record(request: Request, api: CloudflareBackend) -> Response:
    data = await body_of(request)
    result, messages = await run_in_threadpool(api.update_record, zone_id_of(request), record_id_of(request), data,
                                               request.method == "PATCH")
    return errors.envelope(result, messages=messages)


async def delete_record(request: Request, api: CloudflareBackend) -> Response:
    return errors.envelope(await run_in_threadpool(api.delete_record, zone_id_of(request), record_id_of(request)))


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return None
