"""Finishing a domain's new mailboxes in one wait: poll all of them at once, apply what each declares once it answers.

Each round asks Graph for the mailbox settings of every mailbox still pending, 20 to a `$batch`; the mailboxes that
answer get their time zone and language (only where they differ, again 20 to a `$batch`), their SMTP AUTH setting
(Exchange has no batch: one call each, only where it differs) and their photo, and leave the pending set. The rounds
run inside `providers.poll.until_ready`, the one wait, so the timeout and its message are the same as everywhere.
"""

from __future__ import annotations

import logging
from typing import Any

from providers.clients import errors
from providers.clients.exchange import ExchangeClient
from providers.clients.graph import GraphClient
from providers.config import Settings
from providers.domain_mailboxes.args import Pending
from providers.mailbox.photo import load_photo
from providers.poll import until_ready

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
        for box in ready:
            _smtp_auth(exchange, box)
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


def _smtp_auth(exchange: ExchangeClient, box: Pending) -> None:
    enable = box.sending == "password"  # basic SMTP AUTH is an explicit opt-in; OAuth mailboxes get it off
    if exchange.get_mailbox_smtp_auth(box.upn) is not enable:
        exchange.set_mailbox_smtp_auth(box.upn, enable)
