"""Thin handlers: parse, call the model, serialize."""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox import counters
from sandbox.identity import errors, models
from sandbox.world import World


def _base(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


async def openid_configuration(request: Request) -> Response:
    world: World = request.app.state.world
    tenant = request.path_params["tenant"]
    found = models.resolve_tenant(world, tenant)
    if found is None:
        return errors.discovery_unknown_tenant(tenant).response()
    base = _base(request)
    return JSONResponse({
        "token_endpoint": f"{base}/{tenant}/oauth2/v2.0/token",
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": f"{base}/{found.id}/discovery/v2.0/keys",
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": f"{base}/{found.id}/v2.0",
        "request_uri_parameter_supported": False,
        "userinfo_endpoint": f"{base}/oidc/userinfo",
        "authorization_endpoint": f"{base}/{tenant}/oauth2/v2.0/authorize",
        "device_authorization_endpoint": f"{base}/{tenant}/oauth2/v2.0/devicecode",
        "http_logout_supported": True,
        "frontchannel_logout_supported": True,
        "end_session_endpoint": f"{base}/{tenant}/oauth2/v2.0/logout",
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "tid", "oid"],
        "tenant_region_scope": "EU",
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
    })


async def token(request: Request) -> Response:
    world: World = request.app.state.world
    # parse_qsl rather than request.form(): no python-multipart dependency for one urlencoded body
    fields = dict(parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True))
    try:
        issued = models.issue_token(world, request.path_params["tenant"], fields)
    except errors.OAuthError as exc:
        return exc.response()
    counters.token_issued(issued.tenant_id, issued.audience)
    return JSONResponse({
        "token_type": "Bearer",
        "expires_in": models.TOKEN_LIFETIME_S,
        "ext_expires_in": models.TOKEN_LIFETIME_S,
        "access_token": issued.value,
    })
