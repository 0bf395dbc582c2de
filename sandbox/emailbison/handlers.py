"""HTTP handlers of the EmailBison double: parse, call the models under the world lock (thread pool), answer JSON.

The CSV upload is read with the standard library's MIME parser (no multipart package in the sandbox's requirements).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.emailbison import errors, models
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
        raise errors.BisonError(400, "The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise errors.BisonError(400, "The request body must be a JSON object.")
    return data


def _id(request: Request) -> int:
    try:
        return int(request.path_params["sender_id"])
    except ValueError:
        raise errors.not_found() from None


async def _csv_rows(request: Request) -> list[dict[str, str]]:
    kind = request.headers.get("content-type", "")
    if not kind.startswith("multipart/form-data"):
        raise errors.invalid("csv", "The csv field is required.")
    raw = await request.body()
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {kind}\r\n\r\n".encode() + raw)
    for part in message.iter_parts() if message.is_multipart() else []:
        if part.get_param("name", header="content-disposition") == "csv":
            payload = part.get_payload(decode=True)
            text = payload.decode("utf-8-sig") if isinstance(payload, bytes) else ""
            return list(csv.DictReader(io.StringIO(text)))
    raise errors.invalid("csv", "The csv field is required.")


async def list_senders(request: Request, world: World) -> Response:
    raw = request.query_params.get("page", "1")
    if not raw.isdigit() or int(raw) < 1:
        raise errors.invalid("page", "The page field must be at least 1.")
    base = str(request.url.replace(query=""))
    return await _run(world, lambda: models.page(world, int(raw), base))


async def show_sender(request: Request, world: World) -> Response:
    return await _run(world, lambda: {"data": models.sender_json(models.get(world, _id(request)))})


async def create_imap_smtp(request: Request, world: World) -> Response:
    body = await _body(request)
    return await _run(world, lambda: models.create_one(world, body))


async def create_bulk(request: Request, world: World) -> Response:
    rows = await _csv_rows(request)
    return await _run(world, lambda: models.create_bulk(world, rows))


async def update_sender(request: Request, world: World) -> Response:
    body = await _body(request)
    return await _run(world, lambda: models.update(world, _id(request), body))


async def bulk_daily_limits(request: Request, world: World) -> Response:
    body = await _body(request)
    return await _run(world, lambda: models.bulk_daily_limits(world, body))


async def delete_sender(request: Request, world: World) -> Response:
    return await _run(world, lambda: models.delete(world, _id(request)))
