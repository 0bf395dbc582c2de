"""What the small API doubles (Instantly, Smartlead, Name.com) share between their HTTP layers: the guarded endpoint
(auth and fault checks, the handler, the double's own error turned into its answer), the unknown-route answer, the
model call under the world lock in the thread pool, and the JSON object body. Each double keeps its own wording: the
messages and error classes are passed in."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.world import World

C = TypeVar("C")
C_co = TypeVar("C_co", covariant=True)
Endpoint = Callable[[Request], Awaitable[Response]]
ExceptionHandler = Callable[[Request, Exception], Awaitable[Response]]


class DoubleError(Exception):
    """An error a double answers with its vendor's own body and status (subclasses define `response`)."""

    def response(self) -> Response:
        raise NotImplementedError


class Check(Protocol):
    """Refuses a request (auth, content type, write quota) by raising the double's error."""

    def __call__(self, request: Request, world: World, *, write: bool) -> None: ...


class Guard(Protocol[C_co]):
    """`guarded(handler, write=...)` (write: the call is charged to the double's write quota)."""

    def __call__(self, handler: Callable[[Request, C_co], Awaitable[Response]], *,
                 write: bool = False) -> Endpoint: ...


def guarding(world: World, check: Check, error: type[DoubleError], context: C) -> Guard[C]:
    """`guarded(handler, write=...)`: an endpoint that runs `check`, then `handler(request, context)`, and answers
    any `error` raised on the way with its own response."""
    def guarded(handler: Callable[[Request, C], Awaitable[Response]], *, write: bool = False) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            try:
                check(request, world, write=write)
                return await handler(request, context)
            except error as exc:
                return exc.response()

        return endpoint

    return guarded


def no_route(answer: Callable[[int], DoubleError]) -> ExceptionHandler:
    """Starlette's own 404/405 (and anything else it raises as HTTPException) in the double's error shape."""
    async def handler(_request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        return answer(status).response()

    return handler


async def run_locked(world: World, fn: Callable[[], Any]) -> Response:
    """`fn` under the world lock in the thread pool (models may block, e.g. on BIND), its result as JSON."""
    def locked() -> Any:
        with world.lock:
            return fn()

    return JSONResponse(await run_in_threadpool(locked))


async def json_object(request: Request, invalid: Callable[[str], Exception], *, not_json: str, not_object: str,
                      empty_ok: bool = True) -> dict[str, Any]:
    """The body as a JSON object; an empty body is `{}` (or, with `empty_ok=False`, refused as `not_object`)."""
    raw = await request.body()
    if not raw.strip():
        if empty_ok:
            return {}
        raise invalid(not_object)
    try:
        data = await request.json()
    except ValueError:
        raise invalid(not_json) from None
    if not isinstance(data, dict):
        raise invalid(not_object)
    return data
