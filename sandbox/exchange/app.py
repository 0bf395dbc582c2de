"""`create_app` for the Exchange Online admin API double (outlook.office365.com/adminapi)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import Route

from sandbox.exchange.handlers import InvokeCommandHandler
from sandbox.exchange.models import ExchangeBackend
from sandbox.world import Dns, World


def create_app(world: World, dns: Dns) -> Starlette:
    handler = InvokeCommandHandler(ExchangeBackend(world, dns))
    app = Starlette(routes=[
        Route("/adminapi/{version}/{tenant}/InvokeCommand", handler.invoke, methods=["POST"]),
    ])
    app.state.world = world
    return app
