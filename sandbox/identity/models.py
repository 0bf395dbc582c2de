"""Token issuance against the shared world: which app may get a token for which tenant and audience."""

from __future__ import annotations

import secrets
import time

from sandbox.identity import errors
from sandbox.world import Tenant, Token, World

AUDIENCES = ("https://graph.microsoft.com", "https://outlook.office365.com", "https://api.partnercenter.microsoft.com")
TOKEN_LIFETIME_S = 3599


def resolve_tenant(world: World, tenant: str) -> Tenant | None:
    """A tenant by id, initial domain or custom domain (as the real authority accepts)."""
    return world.tenant_by_domain(tenant.lower())


def audience_of(scope: str, tenant: str) -> str:
    scopes = scope.split()
    default = [s for s in scopes if s.endswith("/.default")]
    if len(default) != 1:
        raise errors.invalid_scope(scope)
    audience = default[0][: -len("/.default")].rstrip("/")
    if audience not in AUDIENCES:
        raise errors.unknown_resource(audience, tenant)
    return audience


def issue_token(world: World, tenant: str, form: dict[str, str]) -> Token:
    grant = form.get("grant_type", "")
    if grant != "client_credentials":
        raise errors.unsupported_grant(grant) if grant else errors.missing_parameter("grant_type")
    client_id = form.get("client_id", "")
    if not client_id:
        raise errors.missing_parameter("client_id")
    with world.lock:
        found = resolve_tenant(world, tenant)
        if found is None:
            raise errors.unknown_tenant(tenant)
        app = world.apps.get(client_id)
        if app is None or not world.app_can_manage(client_id, found.id):
            raise errors.unknown_app(client_id, found.id)
        secret = form.get("client_secret")
        if not secret:
            raise errors.missing_secret()
        if not secrets.compare_digest(secret, app.client_secret):
            raise errors.invalid_secret(client_id)
        if "scope" not in form:
            raise errors.missing_parameter("scope")
        audience = audience_of(form["scope"], found.id)
        now = time.time()
        for value in [v for v, t in world.tokens.items() if t.expires_at < now]:
            del world.tokens[value]
        token = Token(value=secrets.token_urlsafe(48), client_id=client_id, tenant_id=found.id, audience=audience,
                      expires_at=now + TOKEN_LIFETIME_S)
        world.tokens[token.value] = token
    return token
