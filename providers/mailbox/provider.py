"""Mailbox: one licensed Exchange Online mailbox in a tenant's verified custom domain.

Ownership: users we create carry `extensionAttribute15 = "coldfleet"`. A create that finds its UPN already taken adopts
the user only with that marker (a retry after a crash) and then resets the password, since the first one was lost;
anyone else's user is an OwnershipConflict. The generated password is a secret output and survives read and update.

The address is the identity (tenant, domain, local part force a replacement): Graph could rename a UPN, but sequencer
accounts, warm-up history and exported credentials are keyed on the address, and a rename leaves the old one behind
as an alias; a new mailbox is the honest change.

Photo: `photo` is the path of a JPEG or PNG (≤ 4 MB) on the operator's machine. check reads it (no API call) and
passes its sha256 on as the normalised input `photo_sha256`, so an edited file is a diff like a changed path. The photo
lives with the Exchange mailbox, so it is uploaded once the mailbox answers (providers/mailbox/photo.py). Without
`photo` the mailbox's photo is not managed (never read, never removed), except that dropping `photo` from a mailbox
that had one removes it.

Create sends the user and its licence in the tenant's shared Graph `$batch`, gathered with the other Mailbox creates
running at the same moment (providers/mailbox/create.py, providers/clients/graph/gather.py): about 2 requests of a
batch per mailbox instead of a look-up, a create and a licence call each. A taken UPN, or a batch that failed, goes
the one-by-one way below, which reads back before it writes.

Create does not wait for Exchange: it returns once the user exists, carries its persona and is licensed
(`mailbox_ready` False). Provisioning takes minutes at Microsoft, and the provider server's four threads would each be
held that long per mailbox; the domain's DomainMailboxes (providers/domain_mailboxes) waits for all of the domain's
mailboxes at once and applies their mailbox settings, SMTP AUTH and photos in the same `up`. Update still converges
everything itself (it repairs drift a refresh found, on a mailbox that exists by then).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from pulumi.dynamic import CheckFailure, CheckResult

from providers import passwords
from providers.base import BaseProvider, Created, Read, Updated, has_unknown
from providers.clients import errors
from providers.clients.exchange import ExchangeClient
from providers.clients.graph import GraphClient, GraphUser
from providers.clients.graph.listing import UNKNOWN, Unknown
from providers.clients.poll import until_found
from providers.config import Settings
from providers.mailbox.args import MARKER, MailboxArgs
from providers.mailbox.create import create_in_batch
from providers.mailbox.listing import TenantMailboxes, smtp_auth_of, tenant_mailboxes
from providers.mailbox.photo import load_photo, read_photo, sha256, sync_photo
from providers.types import IMAP_HOST, IMAP_PORT, SMTP_HOST, SMTP_PORT, mail_address

log = logging.getLogger(__name__)

PURGE_ATTEMPTS = 5


class MailboxProvider(BaseProvider[MailboxArgs]):
    ARGS = MailboxArgs
    KIND = "Mailbox"
    DIFF_KEYS = tuple(MailboxArgs.model_fields)
    REPLACE_KEYS = ("tenant_id", "domain", "local_part")

    def key(self, props: Mapping[str, Any]) -> str:
        return mail_address(str(props.get("local_part")), str(props.get("domain")))

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """The model's checks, then the photo file (exists, ≤ 4 MB, JPEG/PNG): its hash becomes `photo_sha256`."""
        result = super().check(olds, news)
        inputs, failures = dict(result.inputs), list(result.failures)
        photo, inputs["photo_sha256"] = inputs.get("photo"), None
        if isinstance(photo, str) and photo and not has_unknown(photo):
            try:
                inputs["photo_sha256"] = sha256(load_photo(photo)[0])
            except (ValueError, OSError) as error:
                failures.append(CheckFailure("photo", str(error)))
        return CheckResult(inputs, failures)

    def drifted(self, olds: dict[str, Any], news: dict[str, Any]) -> bool:
        return olds.get("account_enabled") is False  # found disabled by read: update re-enables

    def _create(self, args: MailboxArgs, settings: Settings) -> Created:
        graph = GraphClient(settings, args.tenant_id)
        password = passwords.generate()
        user = create_in_batch(settings, args, password)  # with the other creates of the moment (create.py)
        if user is None:  # not settled by the batch: the one-by-one way, which reads back before it writes
            user = self._create_one(graph, args, password)
        # No wait here: the mailbox is finished by the domain's DomainMailboxes, which waits for all at once.
        self._persona(graph, user, args, None)
        outs = self._outputs(args, user, password)
        outs.update(mailbox_ready=False, smtp_auth_enabled=None, photo_sha256=args.photo_sha256,
                    photo_graph_sha256=None)
        return Created(user.id, outs)

    def _create_one(self, graph: GraphClient, args: MailboxArgs, password: str) -> GraphUser:
        user = graph.find_user(args.upn)
        if user is None:
            try:
                user = graph.create_user(upn=args.upn, display_name=args.display_name, mail_nickname=args.local_part,
                                         given_name=args.first_name, surname=args.last_name,
                                         usage_location=args.usage_location, password=password, marker=MARKER)
                log.info("create %s: user %s created", args.upn, user.id)
            except errors.Conflict:
                user = graph.find_user(args.upn)  # created concurrently (or by the first, lost attempt)
                if user is None:
                    raise
                self._adopt(graph, user, args, password)
        else:
            self._adopt(graph, user, args, password)
        return user

    def _update(self, id_: str, olds: dict[str, Any], args: MailboxArgs, settings: Settings) -> Updated:
        graph = GraphClient(settings, args.tenant_id)
        user = graph.get_user(id_)
        if user is None:
            raise errors.NotFound(f"user {args.upn} ({id_}) was deleted outside coldfleet; run `pulumi refresh` so "
                                  "the next `up` creates it again", api="coldfleet")
        password = olds.get("password")
        if not password:
            password = passwords.generate()
            graph.reset_password(user.id, password)
        return Updated(self._converge(settings, graph, user, args, password, old=olds))

    def _read(self, id_: str, props: dict[str, Any], settings: Settings) -> Read:
        # Not validated: after an earlier refresh the echoed inputs may hold live values (an empty licence, say).
        inputs = {key: props.get(key) for key in MailboxArgs.model_fields}
        tenant_id, upn = props["tenant_id"], mail_address(props["local_part"], props["domain"])
        graph = GraphClient(settings, tenant_id)
        listed = tenant_mailboxes(settings, tenant_id, id_)  # this run's listing of the tenant (listing.py)
        user = listed.users.get(id_) if listed.users is not None else None
        if user is None:  # not listed (gone, made after the listing, or the listing failed): ask for it
            user = graph.get_user(id_)
        if user is None:
            log.warning("read %s: user %s is gone; the next `up` creates it again", upn, id_)
            return Read("", {}, None)
        live = dict(props)
        live.update(first_name=user.given_name or "", last_name=user.surname or "", display_name=user.display_name,
                    usage_location=user.usage_location or "", account_enabled=user.account_enabled)
        sku = props.get("licence_sku_id") or ""
        licensed = bool(sku) and sku in {s.lower() for s in user.assigned_sku_ids}
        live.update(licensed=licensed, licence_sku_id=sku if licensed else "")
        mailbox = listed.settings.get(user.id, UNKNOWN)
        if isinstance(mailbox, Unknown):
            mailbox = graph.mailbox_settings(user.id)
        live["mailbox_ready"] = mailbox is not None
        if mailbox is not None:
            live["time_zone"] = mailbox.get("timeZone") or ""
            live["language"] = (mailbox.get("language") or {}).get("locale") or ""
            live.update(self._read_smtp_auth(ExchangeClient(settings, tenant_id), upn, user.id, listed))
            if props.get("photo"):
                read_photo(graph, user.id, props, live)
        return Read(id_, live, inputs)

    @staticmethod
    def _read_smtp_auth(exchange: ExchangeClient, upn: str, user_id: str, listed: TenantMailboxes) -> dict[str, Any]:
        row = None if listed.cas is None else listed.cas.get(upn.lower()) or listed.cas.get(user_id.lower())
        try:
            if row is not None:
                enabled = smtp_auth_of(row)
            else:  # not in the listing: ask Exchange about this one mailbox
                enabled = exchange.get_mailbox_smtp_auth(upn)
            if enabled is None:  # follows the tenant-wide setting
                enabled = listed.tenant_smtp_auth
                if enabled is None:
                    enabled = exchange.get_tenant_smtp_auth()
        except errors.NotFound:
            return {}
        return {"smtp_auth_enabled": enabled, "sending": "password" if enabled else "oauth"}

    def _delete(self, id_: str, props: dict[str, Any], settings: Settings) -> None:
        graph = GraphClient(settings, props["tenant_id"])
        upn = mail_address(str(props.get("local_part")), str(props.get("domain")))
        try:
            graph.delete_user(id_)
            log.info("delete %s: user %s soft-deleted (restorable for 30 days)", upn, id_)
            retries = PURGE_ATTEMPTS
        except errors.NotFound:
            log.info("delete %s: user %s already deleted", upn, id_)
            retries = 1
        if not settings.purge_deleted_users:
            return
        for attempt in range(retries):
            try:
                graph.purge_deleted_user(id_)
                log.info("delete %s: user %s purged", upn, id_)
                return
            except errors.NotFound:
                if attempt + 1 < retries:
                    time.sleep(settings.poll_interval_s)  # deletedItems can lag the delete
        log.info("delete %s: user %s not in deleted items (already purged)", upn, id_)

    # --- helpers ---------------------------------------------------------------------------------------------------

    @staticmethod
    def _adopt(graph: GraphClient, user: GraphUser, args: MailboxArgs, password: str) -> None:
        if user.marker != MARKER:
            raise errors.OwnershipConflict(
                f"{args.upn} already exists in tenant {args.tenant_id} (user {user.id}) without coldfleet's ownership "
                "marker (extensionAttribute15); refusing to adopt it: remove or rename it, or choose another "
                "local_part", status=409, api="coldfleet")
        graph.reset_password(user.id, password)
        log.info("create %s: adopted user %s left by an earlier attempt; password reset", args.upn, user.id)

    @staticmethod
    def _persona(graph: GraphClient, user: GraphUser, args: MailboxArgs, old_sku: str | None) -> None:
        """Names, usage location and enabled flag, then the licence (usageLocation must land before it)."""
        wanted = {"givenName": (user.given_name, args.first_name), "surname": (user.surname, args.last_name),
                  "displayName": (user.display_name, args.display_name),
                  "usageLocation": (user.usage_location, args.usage_location),
                  "accountEnabled": (user.account_enabled, True)}
        fields = {name: want for name, (have, want) in wanted.items() if have != want}
        if fields:
            graph.update_user(user.id, **fields)
        assigned = {s.lower() for s in user.assigned_sku_ids}
        add = [args.licence_sku_id] if args.licence_sku_id not in assigned else []
        remove = [old_sku] if old_sku and old_sku != args.licence_sku_id and old_sku in assigned else []
        if add or remove:
            graph.assign_license(user.id, add=add, remove=remove)

    def _converge(self, settings: Settings, graph: GraphClient, user: GraphUser, args: MailboxArgs, password: str,
                  old: dict[str, Any]) -> dict[str, Any]:
        """Persona, licence, mailbox settings, SMTP AUTH and photo to the declared state; the full outputs.
        `old` is the previous outputs ({} on create)."""
        self._persona(graph, user, args, old.get("licence_sku_id") or None)
        # Exchange provisions the mailbox minutes after licensing; until then mailboxSettings answers 404.
        mailbox = until_found(settings, f"the mailbox of {args.upn}", lambda: graph.mailbox_settings(user.id),
                              missing="not provisioned yet", next_step="run `up` again (the user is kept and adopted)")
        if mailbox.get("timeZone") != args.time_zone or (mailbox.get("language") or {}).get("locale") != args.language:
            graph.update_mailbox_settings(user.id, {"timeZone": args.time_zone, "language": {"locale": args.language}})
        exchange = ExchangeClient(settings, args.tenant_id)
        enable = args.sending == "password"  # basic SMTP AUTH is an explicit opt-in; OAuth mailboxes get it off
        if exchange.get_mailbox_smtp_auth(args.upn) is not enable:
            exchange.set_mailbox_smtp_auth(args.upn, enable)
        outs = self._outputs(args, user, password)
        outs.update(sync_photo(graph, user.id, args, old))
        outs.update(mailbox_ready=True, smtp_auth_enabled=enable)
        return outs

    def _outputs(self, args: MailboxArgs, user: GraphUser, password: str) -> dict[str, Any]:
        outs = self.dump(args)
        outs.update(user_id=user.id, email=args.upn, password=password, smtp_host=SMTP_HOST, smtp_port=SMTP_PORT,
                    imap_host=IMAP_HOST, imap_port=IMAP_PORT, licensed=True, account_enabled=True)
        return outs
