"""Mailbox: one licensed Exchange Online mailbox in a tenant's verified custom domain.

Ownership: users we create carry `extensionAttribute15 = "coldfleet"`. A create that finds its UPN already taken adopts
the user only with that marker (a retry after a crash) and then resets the password, since the first one was lost;
anyone else's user is an OwnershipConflict. The generated password is a secret output and survives read and update.

The address is the identity (tenant, domain, local part force a replacement): Graph could rename a UPN, but sequencer
accounts, warm-up history and exported credentials are keyed on the address, and a rename leaves the old one behind
as an alias; a new mailbox is the honest change.

Photo: `photo` is the path of a JPEG or PNG (≤ 4 MB) on the operator's machine. check reads it (no API call) and
passes its sha256 on as the normalised input `photo_sha256`, so an edited file is a diff like a changed path. The photo
lives with the Exchange mailbox, so it is uploaded once the mailbox answers. Graph may serve a re-encoded rendition,
so read compares what Graph serves with what it served right after our upload (`photo_graph_sha256`), not with the
file: a photo removed or replaced out of band shows as drift and the next update uploads ours again. Without `photo`
the mailbox's photo is not managed (never read, never removed), except that dropping `photo` from a mailbox that had
one removes it.
"""

from __future__ import annotations

import hashlib
import logging
import time
from pathlib import Path
from typing import Any, ClassVar, Literal

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, ReadResult, UpdateResult
from pydantic import BaseModel, ConfigDict, Field, field_validator

from providers import config, passwords
from providers.base import BaseProvider, has_unknown, normalise
from providers.clients import errors
from providers.names import DomainName

log = logging.getLogger(__name__)

MARKER = "coldfleet"
SMTP_HOST, SMTP_PORT = "smtp.office365.com", 587
IMAP_HOST, IMAP_PORT = "outlook.office365.com", 993
GUID = r"^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$"
# mailNickname is the local part: ASCII letters, digits and . - _ ; no leading, trailing or doubled dots.
LOCAL_PART = r"^(?!.*\.\.)[a-z0-9_]([a-z0-9._-]{0,62}[a-z0-9_-])?$"
PURGE_ATTEMPTS = 5
MAX_PHOTO_BYTES = 4 * 1024 * 1024  # what PUT /users/{id}/photo/$value takes
PHOTO_MAGIC = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"))


def load_photo(path: str) -> tuple[bytes, str]:
    """The photo's bytes and media type; ValueError saying what is wrong with the file."""
    file = Path(path).expanduser()
    if not file.is_file():
        raise ValueError(f"{path}: no such file ({file.absolute()})")
    size = file.stat().st_size
    if size > MAX_PHOTO_BYTES:
        raise ValueError(f"{path} is {size} bytes; Microsoft Graph takes photos up to 4 MB ({MAX_PHOTO_BYTES} bytes)")
    data = file.read_bytes()
    for magic, media_type in PHOTO_MAGIC:
        if data.startswith(magic):
            return data, media_type
    raise ValueError(f"{path} is not a JPEG or PNG image")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _lower(value: Any) -> Any:
    return value.strip().lower().rstrip(".") if isinstance(value, str) else value


class MailboxArgs(BaseModel):
    model_config = ConfigDict(extra="ignore", regex_engine="python-re")

    tenant_id: str = Field(pattern=GUID)
    domain: DomainName
    local_part: str = Field(pattern=LOCAL_PART)
    first_name: str = Field(min_length=1, max_length=64)
    last_name: str = Field(min_length=1, max_length=64)
    display_name: str = Field(min_length=1, max_length=256)
    usage_location: str = Field(pattern=r"^[A-Z]{2}$")
    licence_sku_id: str = Field(pattern=GUID)
    sending: Literal["oauth", "password"]
    time_zone: str = Field(default="UTC", min_length=1)
    language: str = Field(default="en-US", pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,4})?$")
    domain_verified: bool
    photo: str | None = Field(default=None, min_length=1)  # path of a JPEG/PNG on the operator's machine
    photo_sha256: str | None = None  # set by check from the file's bytes (whatever the program passes is replaced)

    _lowers = field_validator("tenant_id", "local_part", "licence_sku_id", mode="before")(_lower)

    @field_validator("usage_location", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("domain_verified")
    @classmethod
    def _verified(cls, value: bool) -> bool:
        if not value:
            raise ValueError("the domain is not verified in the tenant yet; wire AuthRecords.verified so mailboxes "
                             "are created after verification")
        return value

    @property
    def upn(self) -> str:
        return f"{self.local_part}@{self.domain}"


class MailboxProvider(BaseProvider):
    ARGS: ClassVar[type[BaseModel]] = MailboxArgs
    DIFF_KEYS = tuple(MailboxArgs.model_fields)
    REPLACE_KEYS = ("tenant_id", "domain", "local_part")

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

    def create(self, props: dict[str, Any]) -> CreateResult:
        from providers.clients.graph import GraphClient

        settings = config.current()
        args: MailboxArgs = self.parse(props)
        graph = GraphClient(settings, args.tenant_id)
        password = passwords.generate()
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
        return CreateResult(user.id, self._converge(settings, graph, user, args, password, old={}))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        from providers.clients.graph import GraphClient

        settings = config.current()
        args: MailboxArgs = self.parse(news)
        old = normalise(olds)
        graph = GraphClient(settings, args.tenant_id)
        user = graph.get_user(id_)
        if user is None:
            raise errors.NotFound(f"user {args.upn} ({id_}) was deleted outside coldfleet; run `pulumi refresh` so "
                                  "the next `up` creates it again", api="coldfleet")
        password = old.get("password")
        if not password:
            password = passwords.generate()
            graph.reset_password(user.id, password)
        return UpdateResult(self._converge(settings, graph, user, args, password, old=old))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        from providers.clients.exchange import ExchangeClient
        from providers.clients.graph import GraphClient

        settings = config.current()
        old = normalise(props)
        # Not validated: after an earlier refresh the echoed inputs may hold live values (an empty licence, say).
        inputs = {key: old.get(key) for key in MailboxArgs.model_fields}
        tenant_id, upn, sku = old["tenant_id"], f"{old['local_part']}@{old['domain']}", old.get("licence_sku_id") or ""
        graph = GraphClient(settings, tenant_id)
        user = graph.get_user(id_)
        if user is None:
            log.warning("read %s: user %s is gone; the next `up` creates it again", upn, id_)
            return ReadResult("", {}, None)
        live = dict(old)
        live.update(first_name=user.given_name or "", last_name=user.surname or "", display_name=user.display_name,
                    usage_location=user.usage_location or "", account_enabled=user.account_enabled)
        licensed = bool(sku) and sku in {s.lower() for s in user.assigned_sku_ids}
        live.update(licensed=licensed, licence_sku_id=sku if licensed else "")
        mailbox = graph.mailbox_settings(user.id)
        live["mailbox_ready"] = mailbox is not None
        if mailbox is not None:
            live["time_zone"] = mailbox.get("timeZone") or ""
            live["language"] = (mailbox.get("language") or {}).get("locale") or ""
            exchange = ExchangeClient(settings, tenant_id)
            try:
                enabled = exchange.get_mailbox_smtp_auth(upn)
                if enabled is None:  # follows the tenant-wide setting
                    enabled = exchange.get_tenant_smtp_auth()
            except errors.NotFound:
                enabled = None
            if enabled is not None:
                live["smtp_auth_enabled"] = enabled
                live["sending"] = "password" if enabled else "oauth"
            if old.get("photo"):
                self._read_photo(graph, user.id, old, live)
        return ReadResult(id_, live, inputs)

    @staticmethod
    def _read_photo(graph: Any, user_id: str, old: dict[str, Any], live: dict[str, Any]) -> None:
        """Photo drift: gone, or not what Graph served after our upload. Either way `photo_sha256` stops matching
        the file's hash, so the next diff shows an update."""
        try:
            served = graph.get_photo_hash(user_id)
        except errors.NotReady:
            return
        recorded = old.get("photo_graph_sha256")
        if served is None:
            log.warning("read %s: the photo was removed outside coldfleet", user_id)
            live.update(photo_sha256=None, photo_graph_sha256=None)
        elif recorded is None:
            live["photo_graph_sha256"] = served  # not visible right after the upload: take it as ours now
        elif served != recorded:
            log.warning("read %s: the photo was replaced outside coldfleet", user_id)
            live.update(photo_sha256=served, photo_graph_sha256=served)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        from providers.clients.graph import GraphClient

        settings = config.current()
        old = normalise(props)
        graph = GraphClient(settings, old["tenant_id"])
        upn = f"{old.get('local_part')}@{old.get('domain')}"
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

    def _adopt(self, graph: Any, user: Any, args: MailboxArgs, password: str) -> None:
        if user.marker != MARKER:
            raise errors.OwnershipConflict(
                f"{args.upn} already exists in tenant {args.tenant_id} (user {user.id}) without coldfleet's ownership "
                "marker (extensionAttribute15); refusing to adopt it: remove or rename it, or choose another "
                "local_part", status=409, api="coldfleet")
        graph.reset_password(user.id, password)
        log.info("create %s: adopted user %s left by an earlier attempt; password reset", args.upn, user.id)

    def _converge(self, settings: config.Settings, graph: Any, user: Any, args: MailboxArgs, password: str,
                  old: dict[str, Any]) -> dict[str, Any]:
        """Persona, licence, mailbox settings, SMTP AUTH and photo to the declared state; the full outputs.
        `old` is the previous outputs ({} on create)."""
        from providers.clients.exchange import ExchangeClient

        old_sku = old.get("licence_sku_id") or None
        wanted = {"givenName": (user.given_name, args.first_name), "surname": (user.surname, args.last_name),
                  "displayName": (user.display_name, args.display_name),
                  "usageLocation": (user.usage_location, args.usage_location),
                  "accountEnabled": (user.account_enabled, True)}
        fields = {name: want for name, (have, want) in wanted.items() if have != want}
        if fields:
            graph.update_user(user.id, **fields)  # usageLocation lands before the licence below
        assigned = {s.lower() for s in user.assigned_sku_ids}
        add = [args.licence_sku_id] if args.licence_sku_id not in assigned else []
        remove = [old_sku] if old_sku and old_sku != args.licence_sku_id and old_sku in assigned else []
        if add or remove:
            graph.assign_license(user.id, add=add, remove=remove)
        mailbox = self._wait_mailbox(settings, graph, user.id, args.upn)
        if mailbox.get("timeZone") != args.time_zone or (mailbox.get("language") or {}).get("locale") != args.language:
            graph.update_mailbox_settings(user.id, {"timeZone": args.time_zone, "language": {"locale": args.language}})
        exchange = ExchangeClient(settings, args.tenant_id)
        enable = args.sending == "password"  # basic SMTP AUTH is an explicit opt-in; OAuth mailboxes get it off
        if exchange.get_mailbox_smtp_auth(args.upn) is not enable:
            exchange.set_mailbox_smtp_auth(args.upn, enable)
        outs = dict(args.model_dump(mode="json"))
        outs.update(self._sync_photo(graph, user.id, args, old))
        outs.update(user_id=user.id, email=args.upn, password=password, smtp_host=SMTP_HOST, smtp_port=SMTP_PORT,
                    imap_host=IMAP_HOST, imap_port=IMAP_PORT, licensed=True, mailbox_ready=True,
                    smtp_auth_enabled=enable, account_enabled=True)
        return outs

    @staticmethod
    def _sync_photo(graph: Any, user_id: str, args: MailboxArgs, old: dict[str, Any]) -> dict[str, Any]:
        """Upload the declared photo when it is new or changed (or drifted: read put Graph's hash into the old
        `photo_sha256`); drop it when `photo` was removed. Returns `photo_sha256` and `photo_graph_sha256`."""
        if args.photo is None:
            if old.get("photo"):
                graph.delete_photo(user_id)
                log.info("photo of %s removed (no longer declared)", args.upn)
            return {"photo_sha256": None, "photo_graph_sha256": None}
        if old.get("photo") and old.get("photo_sha256") == args.photo_sha256:
            return {"photo_sha256": args.photo_sha256, "photo_graph_sha256": old.get("photo_graph_sha256")}
        data, media_type = load_photo(args.photo)  # raises ValueError if the file went away since check
        graph.set_photo(user_id, data, media_type)
        log.info("photo of %s set from %s (%s, %d bytes)", args.upn, args.photo, media_type, len(data))
        # What Graph serves may be a rendition of ours (None: not visible yet); read compares against it.
        return {"photo_sha256": sha256(data), "photo_graph_sha256": graph.get_photo_hash(user_id)}

    def _wait_mailbox(self, settings: config.Settings, graph: Any, user_id: str, upn: str) -> dict[str, Any]:
        """Exchange provisions the mailbox minutes after licensing; until then mailboxSettings answers 404."""
        deadline = time.monotonic() + settings.poll_timeout_s
        while True:
            mailbox = graph.mailbox_settings(user_id)
            if mailbox is not None:
                return dict(mailbox)
            if time.monotonic() >= deadline:
                raise errors.NotReady(f"the mailbox of {upn} was not provisioned within {settings.poll_timeout_s:.0f}s;"
                                      " run `up` again (the user is kept and adopted)", api="coldfleet")
            time.sleep(settings.poll_interval_s)


class Mailbox(pulumi.dynamic.Resource, module="coldfleet", name="Mailbox"):
    """One sending mailbox; `password` is a secret output. Name it "<domain>/<local_part>"."""

    tenant_id: pulumi.Output[str]
    domain: pulumi.Output[str]
    local_part: pulumi.Output[str]
    display_name: pulumi.Output[str]
    sending: pulumi.Output[str]
    user_id: pulumi.Output[str]
    email: pulumi.Output[str]
    password: pulumi.Output[str]
    smtp_host: pulumi.Output[str]
    smtp_port: pulumi.Output[int]
    imap_host: pulumi.Output[str]
    imap_port: pulumi.Output[int]
    licensed: pulumi.Output[bool]
    mailbox_ready: pulumi.Output[bool]
    smtp_auth_enabled: pulumi.Output[bool]
    account_enabled: pulumi.Output[bool]
    photo: pulumi.Output[str | None]
    photo_sha256: pulumi.Output[str | None]
    photo_graph_sha256: pulumi.Output[str | None]

    OUTPUTS: ClassVar[tuple[str, ...]] = ("user_id", "email", "password", "smtp_host", "smtp_port", "imap_host",
                                          "imap_port", "licensed", "mailbox_ready", "smtp_auth_enabled",
                                          "account_enabled", "photo_sha256", "photo_graph_sha256")

    def __init__(self, resource_name: str, args: dict[str, Any] | None = None,
                 opts: pulumi.ResourceOptions | None = None, **kwargs: Any) -> None:
        props: dict[str, Any] = {**dict(args or {}), **kwargs}
        props.update({name: None for name in self.OUTPUTS if name not in props})
        secret = pulumi.ResourceOptions(additional_secret_outputs=["password"])
        super().__init__(MailboxProvider(), resource_name, props, pulumi.ResourceOptions.merge(opts, secret))
