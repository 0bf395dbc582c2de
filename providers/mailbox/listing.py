"""What a refresh reads of a tenant's mailboxes, listed once per tenant and run (providers/snapshot.py says why).

One fill is: the users (one paged Graph list), the mailbox settings of our users (Graph `$batch`, 20 per request),
every CAS mailbox (one `Get-CASMailbox -ResultSize Unlimited`, paged by the admin API) and, only when some mailbox
follows the tenant-wide SMTP AUTH setting, `Get-TransportConfig`. A part that fails is left out (None) and the reads
that need it ask for their own object the old way, so errors surface where and as they did before.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from providers.clients import errors
from providers.clients.exchange import ExchangeClient
from providers.clients.graph import GraphClient, GraphUser
from providers.clients.graph.listing import Unknown, list_users, mailbox_settings
from providers.config import Settings
from providers.mailbox.args import MARKER
from providers.snapshot import Snapshots

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TenantMailboxes:
    users: dict[str, GraphUser] | None  # by id
    settings: dict[str, dict[str, Any] | None | Unknown]  # by user id; absent = not listed
    cas: dict[str, dict[str, Any]] | None  # Get-CASMailbox rows by lowercase PrimarySmtpAddress and by object id
    tenant_smtp_auth: bool | None  # Get-TransportConfig, when some mailbox follows it


SNAPSHOTS: Snapshots[TenantMailboxes] = Snapshots("mailbox")


def tenant_mailboxes(settings: Settings, tenant_id: str, user_id: str) -> TenantMailboxes:
    """This run's listing of the tenant, for the read of `user_id`."""
    key = (settings.graph_endpoint, settings.exchange_endpoint, settings.client_id, tenant_id)
    return SNAPSHOTS.get(key, user_id, lambda: fill(settings, tenant_id))


def smtp_auth_of(row: dict[str, Any]) -> bool | None:
    """A CAS row's SMTP AUTH: True/False when the mailbox overrides the tenant, None when it follows it."""
    disabled = row.get("SmtpClientAuthenticationDisabled")
    return None if disabled is None else not bool(disabled)


def fill(settings: Settings, tenant_id: str) -> TenantMailboxes:
    graph = GraphClient(settings, tenant_id)
    users: dict[str, GraphUser] | None = None
    boxes: dict[str, dict[str, Any] | None | Unknown] = {}
    try:
        users = {u.id: u for u in list_users(graph)}
        boxes = mailbox_settings(graph, [u.id for u in users.values() if u.marker == MARKER])
    except errors.ClientError as error:
        log.info("listing the users of %s failed (%s); reading them one by one", tenant_id, error)
    exchange = ExchangeClient(settings, tenant_id)
    cas: dict[str, dict[str, Any]] | None = None
    tenant_smtp: bool | None = None
    try:
        rows = exchange.invoke("Get-CASMailbox", {"ResultSize": "Unlimited"})
        cas = {}
        for row in rows:
            for name in ("PrimarySmtpAddress", "ExternalDirectoryObjectId"):
                if row.get(name):
                    cas[str(row[name]).lower()] = row
        if any(row.get("SmtpClientAuthenticationDisabled") is None for row in rows):
            tenant_smtp = exchange.get_tenant_smtp_auth()
    except errors.ClientError as error:
        log.info("listing the CAS mailboxes of %s failed (%s); reading them one by one", tenant_id, error)
        cas, tenant_smtp = None, None
    return TenantMailboxes(users=users, settings=boxes, cas=cas, tenant_smtp_auth=tenant_smtp)
