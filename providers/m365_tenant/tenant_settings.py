"""Tenant-wide settings of an M365Tenant: security defaults, SMTP AUTH for the whole tenant (Exchange Online), and the
sequencer's admin consent.

With `sequencer_app_id` the tenant grants tenant-wide admin consent to the sequencer's multi-tenant app for IMAP and
SMTP over OAuth (Exchange Online delegated scopes); `consent_drift` turns a grant revoked or narrowed out of band into
a change, so the next `up` repairs it.
"""

from __future__ import annotations

import logging
from typing import Any

from providers.base import has_unknown
from providers.clients import errors
from providers.clients.exchange import ExchangeClient
from providers.clients.graph import EXCHANGE_ONLINE_APP_ID, GraphClient
from providers.config import Settings
from providers.m365_tenant.args import M365TenantArgs

log = logging.getLogger(__name__)

SECURITY_DEFAULTS_URL = "/policies/identitySecurityDefaultsEnforcementPolicy"
# The sequencer (Instantly, Smartlead) reads and sends through its own multi-tenant app: tenant-wide admin consent for
# these delegated scopes on Office 365 Exchange Online lets every mailbox connect over OAuth (IMAP and SMTP).
SEQUENCER_SCOPES = sorted(("IMAP.AccessAsUser.All", "SMTP.Send"))
CONSENT_PERMISSIONS = "Application.ReadWrite.All and DelegatedPermissionGrant.ReadWrite.All (Microsoft Graph)"


def apply_settings(settings: Settings, graph: GraphClient, tenant_id: str, args: M365TenantArgs) -> None:
    exchange = ExchangeClient(settings, tenant_id)
    if exchange.get_tenant_smtp_auth() != args.tenant_smtp_auth:
        exchange.set_tenant_smtp_auth(args.tenant_smtp_auth)
        log.info("%s: tenant SMTP AUTH %s", args.domain, "enabled" if args.tenant_smtp_auth else "disabled")
    security_defaults(graph, args.security_defaults)


def read_settings(settings: Settings, graph: GraphClient, tenant_id: str) -> dict[str, Any]:
    """Tenant SMTP AUTH and (where this Graph endpoint offers the policy) security defaults, as they are now."""
    live: dict[str, Any] = {"tenant_smtp_auth": ExchangeClient(settings, tenant_id).get_tenant_smtp_auth()}
    enabled = security_defaults(graph, None)
    if enabled is not None:
        live["security_defaults"] = enabled
    return live


def sequencer_consent(settings: Settings, graph: GraphClient, tenant_id: str, args: M365TenantArgs,
                      old: dict[str, Any]) -> list[str]:
    """Grant tenant-wide admin consent to the sequencer's app (and revoke it from an app no longer declared);
    the granted scopes, [] without a sequencer app."""
    before, app = old.get("sequencer_app_id"), args.sequencer_app_id
    try:
        if before and before != app:
            graph.revoke_admin_consent(before, EXCHANGE_ONLINE_APP_ID)
            log.info("%s: revoked the admin consent of sequencer app %s", args.domain, before)
        if not app:
            return []
        graph.grant_admin_consent(app, EXCHANGE_ONLINE_APP_ID, SEQUENCER_SCOPES)
    except errors.PermissionDenied as error:
        raise errors.PermissionDenied(
            f"coldfleet's app {settings.client_id} cannot grant admin consent for sequencer app {app or before} "
            f"in tenant {tenant_id} ({error}); it needs {CONSENT_PERMISSIONS}, or an administrator of the tenant "
            f"grants consent to that app for {' and '.join(SEQUENCER_SCOPES)} on Office 365 Exchange Online",
            status=403, api="coldfleet") from None
    return list(SEQUENCER_SCOPES)


def consent_drift(olds: dict[str, Any], news: dict[str, Any]) -> bool:
    """The declared sequencer app keeps its app but lost (part of) its consent since the last refresh; state from
    before consent was granted (no `sequencer_consent` yet) counts as drift, so the next `up` grants it."""
    app = news.get("sequencer_app_id")
    if not app or has_unknown(app) or app != olds.get("sequencer_app_id"):
        return False  # no app, or a changed app: the input change itself drives the update
    return sorted(olds.get("sequencer_consent") or []) != SEQUENCER_SCOPES


def security_defaults(graph: GraphClient, want: bool | None) -> bool | None:
    """Read (`want` None) or enforce security defaults; None when this Graph endpoint does not offer the policy.

    GraphClient has no typed method for the policy, so this goes through `$batch`, which takes any relative URL.
    """
    try:
        got = {r["id"]: r for r in graph.batch([{"id": "get", "method": "GET", "url": SECURITY_DEFAULTS_URL}])}["get"]
        if got["status"] == 200 and want is not None and bool(got["body"].get("isEnabled")) != want:
            patch = [{"id": "set", "method": "PATCH", "url": SECURITY_DEFAULTS_URL, "body": {"isEnabled": want},
                      "headers": {"Content-Type": "application/json"}}]
            got = {r["id"]: r for r in graph.batch(patch)}["set"]
            if got["status"] in (200, 204):
                log.info("security defaults %s", "enabled" if want else "disabled")
                return want
    except errors.PermissionDenied:
        raise
    except errors.ClientError as error:
        log.warning("security defaults: not available at this Graph endpoint (%s); recorded as declared only", error)
        return None
    if got["status"] == 403:
        raise errors.PermissionDenied("security defaults need the Graph permission Policy.ReadWrite.SecurityDefaults",
                                      status=403, api="graph")
    if got["status"] == 200 and isinstance(got.get("body"), dict):
        return bool(got["body"].get("isEnabled"))
    if got["status"] in (200, 204):
        return want
    log.warning("security defaults: Graph answered %s; recorded as declared only", got["status"])
    return None
