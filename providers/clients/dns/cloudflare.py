"""DNS on Cloudflare through the official SDK (v4 API): zones by name within one account, RRsets as record sets.

Cloudflare stores records one by one; an RRset here is every record of one type at one name. `set_rrset` keeps
records whose value stays, updates records whose value changes, deletes the rest and creates what is missing, then
waits until the authoritative servers answer the new set. Records coldfleet writes carry COMMENT; records without it
are somebody else's and are never changed or deleted unless the caller says `adopt=True`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

import cloudflare
from cloudflare import Cloudflare, DefaultHttpxClient

from providers.clients import http
from providers.clients.dns.authoritative import wait_for_rrset
from providers.clients.dns.base import ZoneInfo, canonical, canonical_set, check_rdtype, fqdn, owner, split_txt
from providers.clients.errors import (
    AuthenticationFailed,
    BadRequest,
    ClientError,
    Conflict,
    NotFound,
    OwnershipConflict,
    ServerError,
)
from providers.config import Settings

log = logging.getLogger(__name__)

API = "cloudflare"
COMMENT = "managed-by: coldfleet"
CONFLICT_CODES = {1061, 81053, 81054, 81057, 81058}
T = TypeVar("T")


class Record(Protocol):
    """The fields of the SDK's record models (a union of one model per type) that coldfleet reads."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def content(self) -> Any: ...
    @property
    def ttl(self) -> float: ...
    @property
    def comment(self) -> str | None: ...


def quote_txt(text: str) -> str:
    """Cloudflare's TXT content: RFC 1035 quoted strings of ≤ 255 bytes each."""
    parts = []
    for chunk in split_txt(text):
        s = chunk.decode("utf-8").replace("\\", "\\\\").replace('"', '\\"')
        parts.append(f'"{s}"')
    return " ".join(parts)


def unquote_txt(content: str) -> str:
    """Join quoted character strings back into the full text; unquoted content is the text itself."""
    if not content.startswith('"'):
        return content
    data = content.encode("utf-8")
    out, i, n = bytearray(), 0, len(data)
    while i < n:
        if data[i] != 0x22:  # outside a string: separators only
            if not data[i : i + 1].isspace():
                return content
            i += 1
            continue
        i += 1
        while i < n and data[i] != 0x22:
            if data[i] == 0x5C and i + 1 < n:
                if data[i + 1 : i + 4].isdigit() and len(data[i + 1 : i + 4]) == 3:
                    out.append(int(data[i + 1 : i + 4]) & 0xFF)
                    i += 4
                    continue
                i += 1
            out.append(data[i])
            i += 1
        if i >= n:
            return content  # unterminated: not quoted strings after all
        i += 1
    return out.decode("utf-8", errors="replace")


def record_value(record: Record) -> str:
    rtype = record.type
    content = str(record.content or "")
    if rtype == "TXT":
        return unquote_txt(content)
    if rtype == "MX":
        return canonical("MX", f"{int(getattr(record, 'priority', 0) or 0)} {content}")
    return canonical(rtype, content)


def _fault(body: object) -> http.Fault:
    """Cloudflare's v4 envelope: the first of `errors`; some codes mean "exists already" whatever the status."""
    errs = body.get("errors") if isinstance(body, dict) else None
    first = errs[0] if isinstance(errs, list) and errs and isinstance(errs[0], dict) else {}
    code = first.get("code")
    return http.Fault(code=str(code) if code else None, message=first.get("message"),
                      kind=Conflict if code in CONFLICT_CODES else None)


def _error(exc: cloudflare.APIError, what: str) -> ClientError:
    """Map SDK exceptions on status and Cloudflare's error code (never on message text)."""
    if isinstance(exc, cloudflare.APIStatusError):
        return http.error_from(exc.response, what, api=API, parse=_fault)
    if http.dropped_write(exc):
        return http.WriteUnconfirmed(f"{what}: connection to Cloudflare dropped after sending", api=API)
    return ServerError(f"{what}: cannot reach Cloudflare ({type(exc).__name__})", api=API)


class CloudflareDns(http.ClosingClient):
    """The SDK on our transport (its own retries off): retries, TLS and error mapping are the shared ones."""

    def __init__(self, settings: Settings) -> None:
        if not settings.cloudflare_api_token:
            raise AuthenticationFailed("no Cloudflare API token configured (cloudflare:apiToken)", api=API,
                                       hint="set cloudflare:apiToken (pulumi config set --secret)")
        self.settings = settings
        self.account_id = settings.cloudflare_account_id
        self.http = DefaultHttpxClient(transport=http.sync_transport(settings, API),
                                       verify=http.ssl_context(settings))
        self.client = Cloudflare(api_token=settings.cloudflare_api_token, base_url=settings.cloudflare_endpoint,
                                 http_client=self.http, max_retries=0)
        self._zones: dict[str, ZoneInfo] = {}

    def _call(self, what: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return fn(*args, **kwargs)
        except cloudflare.APIError as exc:
            raise _error(exc, what) from None

    # -- zones ---------------------------------------------------------------------------------------------------
    def find_zone(self, zone: str) -> ZoneInfo | None:
        zone = fqdn(zone)
        if zone in self._zones:
            return self._zones[zone]
        kwargs: dict[str, Any] = {"name": zone}
        if self.account_id:
            kwargs["account"] = {"id": self.account_id}
        found = [z for z in self._call(f"list zones {zone}", lambda: list(self.client.zones.list(**kwargs)))
                 if z.name == zone]
        if not found:
            return None
        if len(found) > 1:
            raise BadRequest(f"{len(found)} Cloudflare zones are named {zone}: set cloudflareAccountId", api=API)
        z = found[0]
        info = ZoneInfo(zone=zone, zone_id=z.id, nameservers=tuple(n.lower() for n in z.name_servers or ()),
                        status=z.status or "pending")
        self._zones[zone] = info
        return info

    def ensure_zone(self, zone: str) -> ZoneInfo:
        zone = fqdn(zone)
        info = self.find_zone(zone)
        if info is not None:
            return info
        if not self.account_id:
            raise BadRequest("creating a Cloudflare zone needs cloudflareAccountId", api=API,
                             hint="set coldfleet:cloudflareAccountId")
        try:
            self._call(f"create zone {zone}", self.client.zones.create,
                       account={"id": self.account_id}, name=zone, type="full")
        except Conflict:  # created meanwhile (1061): adopt it
            pass
        self._zones.pop(zone, None)
        info = self.find_zone(zone)
        if info is None:
            raise ServerError(f"zone {zone} was created but is not listed", api=API)
        if info.status == "pending":
            info = self._activation_check(info)
        log.info("cloudflare: zone %s ready (%s, %s)", zone, info.zone_id, info.status)
        return info

    def _activation_check(self, info: ZoneInfo) -> ZoneInfo:
        """A new zone is `pending` until its delegation is seen: ask Cloudflare to look now (it rate-limits this
        check, so a refusal is only logged; records are served either way once the delegation lands)."""
        try:
            self._call(f"activation check {info.zone}", self.client.zones.activation_check.trigger,
                       zone_id=info.zone_id)
        except ClientError as exc:
            log.info("cloudflare: zone %s stays pending (%s)", info.zone, exc)
            return info
        self._zones.pop(info.zone, None)
        return self.find_zone(info.zone) or info

    def delete_zone(self, zone: str) -> None:
        info = self.find_zone(zone)
        if info is None:
            return
        try:
            self._call(f"delete zone {info.zone}", self.client.zones.delete, zone_id=info.zone_id)
        except NotFound:
            pass
        self._zones.pop(info.zone, None)
        log.info("cloudflare: zone %s deleted", info.zone)

    def _zone(self, zone: str) -> ZoneInfo:
        info = self.find_zone(zone)
        if info is None:
            raise NotFound(f"no Cloudflare zone {fqdn(zone)} in this account", api=API)
        return info

    # -- records -------------------------------------------------------------------------------------------------
    def _records(self, info: ZoneInfo, name: str, rtype: str) -> list[Record]:
        return list(self._call(
            f"list {name} {rtype}",
            lambda: [r for r in self.client.dns.records.list(zone_id=info.zone_id, type=rtype,  # type: ignore[arg-type]
                                                             name={"exact": name}, per_page=100)
                     if fqdn(r.name or "") == name and r.type == rtype]))

    def _body(self, name: str, rtype: str, value: str, ttl: int) -> dict[str, Any]:
        body: dict[str, Any] = {"type": rtype, "name": name, "ttl": ttl, "proxied": False, "comment": COMMENT}
        if rtype == "TXT":
            body["content"] = quote_txt(value)
        elif rtype == "MX":
            pref, exchange = canonical("MX", value).split()
            body.update(content=exchange, priority=int(pref))
        else:
            body["content"] = canonical(rtype, value)
        return body

    def get_rrset(self, zone: str, name: str, rdtype: str) -> list[str]:
        rtype = check_rdtype(rdtype)
        info = self._zone(zone)
        return [record_value(r) for r in self._records(info, owner(zone, name), rtype)]

    def set_rrset(self, zone: str, name: str, rdtype: str, values: list[str], ttl: int = 3600, *,
                  adopt: bool = False, rewrite: bool = False) -> None:
        """Replace the RRset; refuses (OwnershipConflict) to change records coldfleet did not write.

        `rewrite` edits records Cloudflare already holds too, so the authoritative answer is written again.
        """
        rtype = check_rdtype(rdtype)
        info = self._zone(zone)
        full = owner(zone, name)
        want = canonical_set(rtype, values) if rtype != "TXT" else list(dict.fromkeys(values))
        missing = list(want)
        keep, extra = [], []
        for record in self._records(info, full, rtype):
            value = record_value(record)
            if value in missing:
                missing.remove(value)
                keep.append(record)
            else:
                extra.append(record)
        foreign = [r for r in extra if (r.comment or "") != COMMENT]
        if foreign and not adopt:
            raise OwnershipConflict(f"{full} {rtype} holds records coldfleet did not create "
                                    f"({', '.join(record_value(r) for r in foreign)}); refusing to replace them",
                                    api=API)
        records = self.client.dns.records
        for record, value in zip(extra, missing, strict=False):
            self._call(f"update {full} {rtype}", records.update, record.id, zone_id=info.zone_id,
                       **self._body(full, rtype, value, ttl))
        for record in extra[len(missing):]:
            self._call(f"delete {full} {rtype}", records.delete, record.id, zone_id=info.zone_id)
        for value in missing[len(extra):]:
            self._call(f"create {full} {rtype}", records.create, zone_id=info.zone_id,
                       **self._body(full, rtype, value, ttl))
        for record in keep:
            if rewrite or int(record.ttl or 0) != ttl or (record.comment or "") != COMMENT:
                self._call(f"update {full} {rtype}", records.edit, record.id, zone_id=info.zone_id,
                           type=rtype, name=full, ttl=ttl, comment=COMMENT)
        log.info("cloudflare: %s %s set (%d values)", full, rtype, len(want))
        self._wait(info, full, rtype, want)

    def delete_rrset(self, zone: str, name: str, rdtype: str, *, adopt: bool = False) -> None:
        rtype = check_rdtype(rdtype)
        info = self._zone(zone)
        full = owner(zone, name)
        existing = self._records(info, full, rtype)
        foreign = [r for r in existing if (r.comment or "") != COMMENT]
        if foreign and not adopt:
            raise OwnershipConflict(f"{full} {rtype} holds records coldfleet did not create; refusing to delete them",
                                    api=API)
        for record in existing:
            try:
                self._call(f"delete {full} {rtype}", self.client.dns.records.delete, record.id,
                           zone_id=info.zone_id)
            except NotFound:
                pass
        log.info("cloudflare: %s %s deleted (%d records)", full, rtype, len(existing))
        self._wait(info, full, rtype, [])

    def _wait(self, info: ZoneInfo, name: str, rtype: str, values: list[str]) -> None:
        nameservers = None if self.settings.authoritative_server else info.nameservers
        wait_for_rrset(self.settings, info.zone, name, rtype, values, nameservers=nameservers)
