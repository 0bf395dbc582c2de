"""Finishing a domain's new mailboxes in one wait: poll all of them at once, apply what each declares once it answers.

Each round asks Graph for the mailbox settings of every mailbox still pending, 20 to a `$batch`; the mailboxes that
answer get their time zone and language (only where they differ, again 20 to a `$batch`), their SMTP AUTH setting
and their photo, and leave the pending set. The rounds run inside `providers.clients.poll.until_ready`, the one wait,
so the timeout and its message are the same as everywhere.

SMTP AUTH is the domain's one setting, not the mailbox's: each domain has its own tenant, whose tenant-wide
`Set-TransportConfig -SmtpClientAuthenticationDisabled` M365Tenant holds to the fleet's sending mode, and a new
mailbox follows it (`SmtpClientAuthenticationDisabled` $null on its CAS mailbox). So a round reads the domain's CAS
mailboxes in one `Get-CASMailbox -ResultSize Unlimited` (paged, 1,000 a page), the tenant-wide value once if some
mailbox follows it, and writes `Set-CASMailbox` only for a mailbox whose effective setting (its override, else the
tenant's) is not what it declares; a mailbox Exchange does not list yet is asked about on its own. Before, every
mailbox cost a Get-CASMailbox and a Set-CASMailbox (Exchange's InvokeCommand takes one cmdlet, one identity).
"""

from __future__ import annotations

import logging
from typing import Any

from providers.clients import errors
from providers.clients.exchange import ExchangeClient
from providers.clients.graph import GraphClient
from providers.clients.poll import until_ready
from providers.config import Settings
from providers.domain_mailboxes.args import Pending
from providers.mailbox.photo import load_photo

log = logging.getLogger(__name__)


def finish(settings: Settings, tenant_id: str, domain: str, mailboxes: list[Pending]) -> None:
    """Wait for every mailbox in `mailboxes` and apply its settings; NotReady naming the laggards on timeout."""
    if not mailboxes:
        return
    graph, exchange = GraphClient(settings, tenant_id), ExchangeClient(settings, tenant_id)
    pending = {box.user_id: box for box in mailboxes}

    def round_() -> None:
        found = graph.mailbox_settings_many(list(pending))
        ready = [pending[uid] for uid, mailbox in found.items() if mailbox is not None]
        changes = {box.user_id: {"timeZone": box.time_zone, "language": {"locale": box.language}}
                   for box in ready if _differs(found[box.user_id] or {}, box)}
        graph.update_mailbox_settings_many(changes)
        _smtp_auth(exchange, ready)
        for box in ready:
            if box.photo:
                data, media_type = load_photo(box.photo)  # check vetted the file; ValueError if it went since
                graph.set_photo(box.user_id, data, media_type)
                log.info("photo of %s set from %s (%s, %d bytes)", box.upn, box.photo, media_type, len(data))
            del pending[box.user_id]
        if ready:
            log.info("%s: %d mailbox(es) finished, %d still provisioning", domain, len(ready), len(pending))
        if pending:
            names = ", ".join(sorted(box.upn for box in pending.values())[:3])
            more = f" and {len(pending) - 3} more" if len(pending) > 3 else ""
            raise errors.NotReady(f"not provisioned yet: {names}{more}", api="coldfleet")

    until_ready(settings, f"the mailboxes of {domain}", round_,
                next_step="run `up` again (the users are kept and their mailboxes finished then)")


def _differs(mailbox: dict[str, Any], box: Pending) -> bool:
    return mailbox.get("timeZone") != box.time_zone or (mailbox.get("language") or {}).get("locale") != box.language


def _smtp_auth(exchange: ExchangeClient, boxes: list[Pending]) -> None:
    """Each box's effective SMTP AUTH to what it declares: one listing, the tenant's value at most once, a Set only
    where it differs (basic SMTP AUTH is an explicit opt-in; OAuth mailboxes get it off)."""
    if not boxes:
        return
    rows: dict[str, dict[str, Any]] = {}
    for listed in exchange.invoke("Get-CASMailbox", {"ResultSize": "Unlimited"}):
        for name in ("PrimarySmtpAddress", "ExternalDirectoryObjectId"):
            if listed.get(name):
                rows[str(listed[name]).lower()] = listed
    tenant: list[bool] = []  # the tenant-wide value, read once if needed
    for box in boxes:
        enable = box.sending == "password"
        row: dict[str, Any] | None = rows.get(box.upn.lower()) or rows.get(box.user_id.lower())
        if row is None:
            have = exchange.get_mailbox_smtp_auth(box.upn)  # not listed yet: ask about this one
        else:
            disabled = row.get("SmtpClientAuthenticationDisabled")
            have = None if disabled is None else not bool(disabled)
        if have is None:
            if not tenant:
                tenant.append(exchange.get_tenant_smtp_auth())
            have = tenant[0]
        if have is not enable:
            exchange.set_mailbox_smtp_auth(box.upn, enable)
