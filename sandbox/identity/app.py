"""`create_app` for the identity double (login.microsoftonline.com)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import Route

from sandbox.identity import handlers
from sandbox.world import Dns, World


def create_app(world: World, dns: Dns) -> Starlette:
    app = Starlette(routes=[
        Route("/{tenant}/v2.0/.well-known/openid-configuration", handlers.openid_configuration, methods=["GET"]),
        Route("/{tenant}/oauth2/v2.0/token", handlers.token, methods=["POST"]),
    ])
    app.state.world = world
    return app
