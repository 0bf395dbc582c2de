"""App-only tokens (OAuth client credentials) from the Microsoft identity platform, through the shared transport.

One `Credential` per (authority, tenant, app) per process, holding one token per scope until shortly before it
expires. The token request repeats safely (it creates nothing), so dropped connections are retried like reads.
Errors carry the AADSTS code and description the service sends, never the secret.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from providers.clients.errors import AuthenticationFailed, ClientError
from providers.clients.http.pools import shared_client
from providers.clients.http.responses import Fault, error_from, json_body, request
from providers.config import Settings

API = "identity"
EXPIRY_MARGIN_S = 300.0  # refresh five minutes before the service says the token expires

_lock = threading.Lock()
_credentials: dict[tuple[str, ...], Credential] = {}


def _fault(body: object) -> Fault:
    if not isinstance(body, dict):
        return Fault()
    codes = body.get("error_codes")
    code = f"AADSTS{codes[0]}" if isinstance(codes, list) and codes else body.get("error")
    description = str(body.get("error_description") or body.get("error") or "")
    return Fault(code=str(code) if code else None, message=description.split(" Trace ID:", 1)[0] or None)


@dataclass
class _Token:
    value: str
    expires_at: float


class Credential:
    """Client-secret credential of one app in one tenant; `token(scope)` is cached per scope."""

    def __init__(self, settings: Settings, tenant_id: str) -> None:
        self.settings = settings
        self.tenant_id = tenant_id
        self.url = f"{settings.login_endpoint.rstrip('/')}/{tenant_id}/oauth2/v2.0/token"
        self._tokens: dict[str, _Token] = {}
        self._lock = threading.Lock()

    def token(self, scope: str, *, api: str) -> str:
        with self._lock:
            cached = self._tokens.get(scope)
            if cached is not None and cached.expires_at > time.monotonic():
                return cached.value
            fresh = self._fetch(scope, api)
            self._tokens[scope] = fresh
            return fresh.value

    def _fetch(self, scope: str, api: str) -> _Token:
        settings = self.settings
        form = {"client_id": settings.client_id or "", "client_secret": settings.client_secret or "",
                "grant_type": "client_credentials", "scope": scope}
        client = shared_client(settings, API)
        what = f"token request for {scope}"
        started = time.monotonic()
        try:
            response = request(client, "POST", self.url, api=api, what=what, idempotent=True, data=form)
        except ClientError as exc:
            exc.api = api
            raise
        if response.status_code >= 400:
            error = error_from(response, f"{what} failed", api=api, parse=_fault)
            if response.status_code in (400, 401):
                raise AuthenticationFailed(str(error.args[0]), code=error.code, api=api) from None
            raise error
        body = json_body(response, api=api) or {}
        lifetime = float(body.get("expires_in") or 3600)
        return _Token(str(body.get("access_token") or ""), started + max(0.0, lifetime - EXPIRY_MARGIN_S))


def credential(settings: Settings, tenant_id: str, *, api: str) -> Credential:
    """The process-wide credential for `tenant_id` with the configured app."""
    if not settings.client_id or not settings.client_secret:
        raise AuthenticationFailed("client_id / client_secret are not configured", api=api,
                                   hint="set coldfleet:clientId and coldfleet:clientSecret "
                                        "(or AZURE_CLIENT_ID / AZURE_CLIENT_SECRET)")
    key = (settings.login_endpoint, tenant_id, settings.client_id, settings.client_secret, settings.ca_bundle or "")
    with _lock:
        cred = _credentials.get(key)
        if cred is None:
            cred = Credential(settings, tenant_id)
            _credentials[key] = cred
        return cred


def bearer_token(settings: Settings, tenant_id: str, scope: str, *, api: str) -> str:
    """An access token for `scope` (e.g. `https://outlook.office365.com/.default`) in `tenant_id`."""
    return credential(settings, tenant_id, api=api).token(scope, api=api)
