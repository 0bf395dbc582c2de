"""`create_app` for the Partner Center double (api.partnercenter.microsoft.com), served under /v1."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import Route

from sandbox.partner_center.handlers import PartnerCenterHandlers
from sandbox.partner_center.models import PartnerCenterBackend
from sandbox.world import Dns, World


def create_app(world: World, dns: Dns) -> Starlette:
    h = PartnerCenterHandlers(PartnerCenterBackend(world))
    c = "/v1/customers/{customer}"
    app = Starlette(routes=[
        Route("/v1/domains/{domain}", h.route(h.head_domain), methods=["HEAD"]),
        Route("/v1/validations/address", h.route(h.validate_address), methods=["POST"]),
        Route("/v1/customers", h.route(h.list_customers), methods=["GET"]),
        Route("/v1/customers", h.route(h.create_customer), methods=["POST"]),
        Route(c, h.route(h.get_customer), methods=["GET"]),
        Route("/v1/agreements", h.route(h.agreement_metadata), methods=["GET"]),
        Route(f"{c}/agreements", h.route(h.list_agreements), methods=["GET"]),
        Route(f"{c}/agreements", h.route(h.add_agreement), methods=["POST"]),
        Route("/v1/products/{product}/skus/{sku}/availabilities", h.route(h.availabilities), methods=["GET"]),
        Route(f"{c}/carts", h.route(h.create_cart), methods=["POST"]),
        Route(f"{c}/carts/{{cart}}", h.route(h.get_cart), methods=["GET"]),
        Route(f"{c}/carts/{{cart}}/checkout", h.route(h.checkout), methods=["POST"]),
        Route(f"{c}/subscriptions", h.route(h.list_subscriptions), methods=["GET"]),
        Route(f"{c}/subscriptions/{{subscription}}", h.route(h.get_subscription), methods=["GET"]),
        Route(f"{c}/subscriptions/{{subscription}}", h.route(h.patch_subscription), methods=["PATCH"]),
    ])
    app.state.world = world
    return app
