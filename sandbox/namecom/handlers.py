"""HTTP handlers of the Name.com double: parse, call the models under the world lock (in the thread pool), answer."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from sandbox import endpoints
from sandbox.namecom import errors, models
from sandbox.world import Dns, World

UPDATABLE = {"autorenewEnabled": "autorenew_enabled", "privacyEnabled": "privacy_enabled", "locked": "locked"}


@dataclass
class Registry:
    """What the handlers work on: the shared world and BIND (a registration delegates the zone)."""

    world: World
    dns: Dns

    async def run(self, fn: Callable[[], dict[str, Any]]) -> Response:
        """`fn` under the world lock in the thread pool (models may ask BIND), its result as JSON."""
        return await endpoints.run_locked(self.world, fn)

    def registration(self, name: str) -> models.NcDomain:
        reg = models.state(self.world).domains.get(models.domain_name(name))
        if reg is None:
            raise errors.not_found()
        return reg


async def json_body(request: Request) -> dict[str, Any]:
    return await endpoints.json_object(request, errors.invalid, not_json="request body is not valid JSON",
                                       not_object="request body must be a JSON object")


async def check_availability(request: Request, api: Registry) -> Response:
    names = (await json_body(request)).get("domainNames")
    if not isinstance(names, list) or not 1 <= len(names) <= 50:
        raise errors.invalid("domainNames must list 1 to 50 domain names")
    parsed = [models.domain_name(n) for n in names]

    def run() -> dict[str, Any]:
        results = [models.quote(api.world, n) for n in dict.fromkeys(parsed)]
        return {"results": results[::-1]}  # the order is not guaranteed: do not let clients rely on it

    return await api.run(run)


def _page_params(request: Request) -> tuple[int, int]:
    try:
        per_page = int(request.query_params.get("perPage", 1000))
        page = int(request.query_params.get("page", 1))
    except ValueError:
        raise errors.invalid("perPage and page must be integers") from None
    if per_page < 1 or page < 1:
        raise errors.invalid("perPage and page must be positive")
    return per_page, page


async def list_domains(request: Request, api: Registry) -> Response:
    per_page, page = _page_params(request)

    def run() -> dict[str, Any]:
        regs = sorted(models.state(api.world).domains.values(), key=lambda d: d.domain_name)
        last = max(1, math.ceil(len(regs) / per_page))
        chunk = regs[(page - 1) * per_page : page * per_page]
        body: dict[str, Any] = {"domains": [models.domain_json(d) for d in chunk], "totalCount": len(regs)}
        if page < last:
            body.update(nextPage=page + 1, lastPage=last)
        return body

    return await api.run(run)


async def create_domain(request: Request, api: Registry) -> Response:
    data = await json_body(request)
    key = request.headers.get("x-idempotency-key")

    def run() -> dict[str, Any]:
        st = models.state(api.world)
        if key and key in st.orders:
            return st.orders[key]
        result = models.register(api.world, api.dns, data)
        if key:
            st.orders[key] = result
        return result

    return await api.run(run)


async def get_domain(request: Request, api: Registry) -> Response:
    target = request.path_params["target"]
    if ":" in target:
        raise errors.NcError(404, "Not Found", "unknown method")
    return await api.run(lambda: models.domain_json(api.registration(target)))


async def update_domain(request: Request, api: Registry) -> Response:
    data = await json_body(request)
    target = request.path_params["target"]
    if set(data) - set(UPDATABLE) or not all(isinstance(v, bool) for v in data.values()):
        raise errors.invalid(f"only boolean {', '.join(UPDATABLE)} may be updated")

    def run() -> dict[str, Any]:
        reg = api.registration(target)
        for key, value in data.items():
            setattr(reg, UPDATABLE[key], value)
        return models.domain_json(reg)

    return await api.run(run)


async def domain_action(request: Request, api: Registry) -> Response:
    """`POST /core/v1/domains/{name}:setNameservers` (and the deprecated `:enableAutorenew` / `:disableAutorenew`)."""
    name, _, action = request.path_params["target"].partition(":")
    data = await json_body(request)

    def run() -> dict[str, Any]:
        reg = api.registration(name)
        if action == "setNameservers":
            reg.nameservers = models.nameserver_list(data.get("nameservers"), required=True)
        elif action in ("enableAutorenew", "disableAutorenew"):  # deprecated in favour of PATCH
            reg.autorenew_enabled = action == "enableAutorenew"
        else:
            raise errors.NcError(404, "Not Found", f"unknown method {action!r}")
        return models.domain_json(reg)

    return await api.run(run)
