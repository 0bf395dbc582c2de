"""AuthRecords: the DNS handshake that makes a tenant's custom domain able to send (see DESIGN.md).

Order, every step skipped when already done so a crashed run just runs `create` again and converges:
apex TXT {MS=..., SPF} → seen at the authoritative server → Graph verify (retried while Microsoft cannot see it) →
supportedServices Email → MX + autodiscover CNAME (Graph's serviceConfigurationRecords) and DMARC at `_dmarc` →
DKIM: New-DkimSigningConfig, publish the two selector CNAMEs *as read* from Get-DkimSigningConfig (never derived:
their format changed in 2025), enable signing (retried while Microsoft cannot see the CNAMEs).

The apex TXT RRset is shared: we own the verification value and the one SPF record (a name may carry only one, so an
existing SPF is replaced, with a warning); every other value found there is preserved, on create and on delete.

`read` reports live state — records at the authoritative server, Graph's `isVerified`, Exchange's DKIM `Enabled` —
plus `drift`, what differs from what we would publish; `diff` turns drift into an update that repairs it.

Replace keys: `domain`, `tenant_id` (another tenant has other verification, MX and DKIM values: a new handshake) and
`dns_backend` (the records live in another zone). The tenant domain itself belongs to M365Tenant.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, TypeVar

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, UpdateResult
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from providers import config
from providers.base import BaseProvider
from providers.clients.dns import DnsBackend, authoritative_query, backend_for, wait_for_rrset
from providers.clients.errors import (
    AuthenticationFailed,
    BadRequest,
    NotFound,
    NotReady,
    PermissionDenied,
    ServerError,
)
from providers.clients.exchange import DkimConfig, ExchangeClient
from providers.clients.graph import GraphClient
from providers.config import Settings
from providers.dmarc import RecordError, build_dmarc, build_spf, is_spf, validate_dmarc, validate_rua, validate_spf
from providers.sending_domain import DomainName

log = logging.getLogger(__name__)

T = TypeVar("T")
Policy = Literal["none", "quarantine", "reject"]
GONE = (NotFound, BadRequest, AuthenticationFailed, PermissionDenied)  # tenant or domain no longer reachable


class DmarcArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    policy: Policy
    rua: list[str] = Field(default_factory=list)
    sp: Policy | None = None
    adkim: Literal["r", "s"] = "r"
    aspf: Literal["r", "s"] = "r"
    t: bool = False  # RFC 9989 testing mode (t=y), the successor of pct

    @field_validator("rua", mode="before")
    @classmethod
    def _one_rua(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("rua")
    @classmethod
    def _rua(cls, value: list[str]) -> list[str]:
        try:
            return [validate_rua(uri.strip()) for uri in value]
        except RecordError as error:
            raise ValueError(str(error)) from None

    @model_validator(mode="after")
    def _valid_record(self) -> DmarcArgs:
        try:
            validate_dmarc(self.record(), "dmarc.invalid")  # the domain only appears in checkdmarc's messages
        except RecordError as error:
            raise ValueError(str(error)) from None
        return self

    def record(self) -> str:
        return build_dmarc(self.policy, self.rua, sp=self.sp, adkim=self.adkim, aspf=self.aspf, testing=self.t)


class AuthRecordsArgs(BaseModel):
    model_config = ConfigDict(extra="ignore")

    domain: DomainName
    tenant_id: str = Field(min_length=1)
    dns_backend: Literal["cloudflare", "rfc2136"]
    verification_txt: str
    dmarc: DmarcArgs
    ttl: int = Field(default=3600, ge=60, le=86400)

    @field_validator("verification_txt")
    @classmethod
    def _ms(cls, value: str) -> str:
        if not value.startswith("MS="):
            raise ValueError("must be the MS=ms######## value from Graph's verificationDnsRecords")
        return value

@dataclass(frozen=True)
class Rec:
    name: str
    type: str
    values: tuple[str, ...]

    def out(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "values": list(self.values)}


def norm(rdtype: str, value: str) -> str:
    return value if rdtype == "TXT" else " ".join(value.strip().rstrip(".").lower().split())


def same(rdtype: str, a: list[str] | tuple[str, ...], b: list[str] | tuple[str, ...]) -> bool:
    return sorted(norm(rdtype, v) for v in a) == sorted(norm(rdtype, v) for v in b)


def until_ready(settings: Settings, what: str, fn: Callable[[], T]) -> T:
    """Call `fn` until it stops raising NotReady or `poll_timeout_s` has passed (then the last reason is raised)."""
    deadline = time.monotonic() + settings.poll_timeout_s
    while True:
        try:
            return fn()
        except NotReady as error:
            if time.monotonic() + settings.poll_interval_s > deadline:
                raise NotReady(
                    f"{what}: not ready after {settings.poll_timeout_s:g}s: {error}", api=error.api, code=error.code
                ) from None
            time.sleep(settings.poll_interval_s)


class AuthRecordsProvider(BaseProvider):
    ARGS: ClassVar[type[BaseModel]] = AuthRecordsArgs
    DIFF_KEYS: ClassVar[tuple[str, ...]] = ("domain", "tenant_id", "dns_backend", "verification_txt", "dmarc", "ttl")
    REPLACE_KEYS: ClassVar[tuple[str, ...]] = ("domain", "tenant_id", "dns_backend")

    # -- lifecycle -------------------------------------------------------------------------------------------------

    def create(self, props: dict[str, Any]) -> CreateResult:
        args = self.parse(props)
        return CreateResult(args.domain, self._converge(config.current(), args))

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        args = self.parse(news)
        old = self.parse(olds)
        former = {old.verification_txt} - {args.verification_txt}  # an old MS= value of ours, to drop
        # Records a refresh found drifted are rewritten even when the backend's own view looks right.
        stale = {(d.get("name"), d.get("type")) for d in olds.get("drift") or [] if isinstance(d, dict)}
        outs = self._converge(config.current(), args, former=former, force=old.ttl != args.ttl, stale=stale)
        return UpdateResult(outs)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return super().diff(_id, self._canonical(olds), self._canonical(news))

    def drifted(self, olds: dict[str, Any], news: dict[str, Any]) -> bool:
        return bool(olds.get("drift")) or olds.get("verified") is False or olds.get("dkim_enabled") is False

    def _canonical(self, props: dict[str, Any]) -> dict[str, Any]:
        """Props as the model dumps them (`sp: None` and a missing `sp` compare equal); as given when invalid."""
        try:
            return {**props, **self.inputs(props)}
        except ValidationError:
            return props

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        args = self.parse(props)
        settings = config.current()
        inputs = args.model_dump(mode="json")
        verified = False
        mx: list[str] = []
        cnames: list[tuple[str, str]] = []
        try:
            graph = GraphClient(settings, args.tenant_id)
            found = graph.get_domain(args.domain)
            verified = bool(found and found.is_verified)
            if found is not None:
                mx, cnames = self._service_records(graph, args.domain)
        except GONE as error:
            log.info("read: %s in %s not reachable in Graph: %s", args.domain, args.tenant_id, error)
        dkim: DkimConfig | None = None
        try:
            dkim = ExchangeClient(settings, args.tenant_id).get_dkim(args.domain)
        except GONE as error:
            log.info("read: DKIM of %s not reachable: %s", args.domain, error)
        published = {(r["name"], r["type"]): r["values"] for r in props.get("records") or []}
        desired = self._desired(args, mx, cnames, dkim, published)
        records, drift = [], []
        for rec in desired:
            live = authoritative_query(settings, args.domain, rec.name, rec.type)
            if rec.name == args.domain and rec.type == "TXT":
                live = [v for v in live if v == args.verification_txt or is_spf(v)]
            if same(rec.type, live, rec.values):
                records.append(rec.out())
                continue
            records.append(Rec(rec.name, rec.type, tuple(sorted(live))).out())
            drift.append({"name": rec.name, "type": rec.type, "expected": list(rec.values), "found": sorted(live)})
        outs = {
            **inputs,
            "verified": verified,
            "records": records,
            "dkim_selectors": [dkim.selector1_cname, dkim.selector2_cname] if dkim else [],
            "dkim_enabled": bool(dkim and dkim.enabled),
            "drift": drift,
        }
        return ReadResult(id_, outs, inputs)

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        args = self.parse(props)
        settings = config.current()
        exchange = ExchangeClient(settings, args.tenant_id)
        try:
            dkim = exchange.get_dkim(args.domain)
            if dkim is not None and dkim.enabled:
                exchange.set_dkim_enabled(args.domain, False)
        except GONE as error:
            log.warning("delete: could not disable DKIM for %s (tenant or domain gone?): %s", args.domain, error)
        dns = backend_for(settings, args.dns_backend)
        zone = args.domain
        if dns.find_zone(zone) is None:
            log.info("delete: zone %s is gone, and its records with it", zone)
            return
        published = props.get("records") or [r.out() for r in self._names(args)]
        for rec in published:
            name, rdtype = rec["name"], rec["type"]
            if name == zone and rdtype == "TXT":
                ours = {args.verification_txt, build_spf(), *rec.get("values", [])}
                keep = [v for v in dns.get_rrset(zone, zone, "TXT") if v not in ours]
                if keep:
                    dns.set_rrset(zone, zone, "TXT", keep, args.ttl)
                    continue
            try:
                dns.delete_rrset(zone, name, rdtype)
            except NotFound:
                pass
        log.info("delete: auth records of %s removed; the tenant domain stays with M365Tenant", zone)

    # -- the handshake ---------------------------------------------------------------------------------------------

    def _converge(
        self,
        settings: Settings,
        args: AuthRecordsArgs,
        *,
        former: set[str] | None = None,
        force: bool = False,
        stale: set[tuple[Any, Any]] | None = None,
    ) -> dict[str, Any]:
        dns = backend_for(settings, args.dns_backend)
        graph = GraphClient(settings, args.tenant_id)
        exchange = ExchangeClient(settings, args.tenant_id)
        domain = args.domain

        stale = stale or set()
        apex = self._apex_txt(dns, args, former or set(), force or (domain, "TXT") in stale)
        wait_for_rrset(settings, domain, domain, "TXT", apex)
        found = self._verify(settings, graph, domain, args.tenant_id)
        if "Email" not in found.supported_services:
            graph.set_supported_services(domain, sorted({*found.supported_services, "Email"}))
        mx, cnames = self._service_records(graph, domain)
        if not mx:
            raise ServerError(f"Graph offers no Email MX record for {domain}; cannot route its mail", api="graph")

        dkim = exchange.new_dkim(domain)
        desired = self._desired(args, mx, cnames, dkim, {})
        for rec in desired[1:]:
            self._publish(dns, domain, rec, args.ttl, force or (rec.name, rec.type) in stale)
        if not dkim.enabled:
            until_ready(settings, f"enabling DKIM for {domain}", lambda: exchange.set_dkim_enabled(domain, True))
        return {
            **args.model_dump(mode="json"),
            "verified": True,
            "records": [r.out() for r in desired],
            "dkim_selectors": [dkim.selector1_cname, dkim.selector2_cname],
            "dkim_enabled": True,
            "drift": [],
        }

    def _apex_txt(self, dns: DnsBackend, args: AuthRecordsArgs, former: set[str], force: bool) -> list[str]:
        """Publish {verification, SPF} at the apex, keeping every foreign value; return the whole RRset."""
        zone, spf = args.domain, build_spf()
        validate_spf(spf, zone)
        live = dns.get_rrset(zone, zone, "TXT")
        replaced = [v for v in live if is_spf(v) and v != spf]
        if replaced:
            log.warning("replacing the SPF record at %s (%s): a name may carry only one", zone, replaced)
        foreign = [v for v in live if v not in {args.verification_txt, spf} and v not in former and not is_spf(v)]
        desired = [args.verification_txt, spf, *foreign]
        if force or not same("TXT", live, desired):
            dns.set_rrset(zone, zone, "TXT", desired, args.ttl, **_rewrite(force))
        return desired

    def _verify(self, settings: Settings, graph: GraphClient, domain: str, tenant_id: str) -> Any:
        found = graph.get_domain(domain)
        if found is None:
            raise NotFound(f"{domain} is not a domain of tenant {tenant_id}; M365Tenant adds it", api="graph")
        if found.is_verified:
            return found
        return until_ready(settings, f"verifying {domain}", lambda: graph.verify_domain(domain))

    @staticmethod
    def _service_records(graph: GraphClient, domain: str) -> tuple[list[str], list[tuple[str, str]]]:
        """MX values and (label, target) CNAMEs Microsoft asks for; its SPF suggestion is ignored (we build ours)."""
        mx: list[str] = []
        cnames: list[tuple[str, str]] = []
        for rec in graph.service_records(domain, "Email"):
            kind = rec.record_type.upper()
            if kind == "MX":
                mx.append(f"{rec.preference or 0} {rec.value.lower().rstrip('.')}")
            elif kind == "CNAME":
                cnames.append((rec.label.lower().rstrip("."), rec.value.lower().rstrip(".")))
        return mx, cnames

    @staticmethod
    def _names(args: AuthRecordsArgs) -> list[Rec]:
        """Every name/type this resource may have published (for delete without recorded outputs)."""
        d = args.domain
        names = [(d, "TXT"), (d, "MX"), (f"autodiscover.{d}", "CNAME"), (f"_dmarc.{d}", "TXT")]
        names += [(f"selector{i}._domainkey.{d}", "CNAME") for i in (1, 2)]
        return [Rec(name, rdtype, ()) for name, rdtype in names]

    def _desired(
        self,
        args: AuthRecordsArgs,
        mx: list[str],
        cnames: list[tuple[str, str]],
        dkim: DkimConfig | None,
        published: dict[tuple[str, str], list[str]],
    ) -> list[Rec]:
        """What we publish, apex TXT first. Values Microsoft did not give us now fall back to what we published."""
        d = args.domain

        def known(name: str, rdtype: str, values: list[str]) -> tuple[str, ...]:
            return tuple(values or published.get((name, rdtype), []))

        recs = [Rec(d, "TXT", (args.verification_txt, build_spf())), Rec(d, "MX", known(d, "MX", mx))]
        recs += [Rec(label, "CNAME", (target,)) for label, target in cnames if label != d]
        if not cnames:
            auto = f"autodiscover.{d}"
            recs.append(Rec(auto, "CNAME", known(auto, "CNAME", [])))
        recs.append(Rec(f"_dmarc.{d}", "TXT", (args.dmarc.record(),)))
        for i, target in ((1, dkim.selector1_cname if dkim else ""), (2, dkim.selector2_cname if dkim else "")):
            name = f"selector{i}._domainkey.{d}"
            recs.append(Rec(name, "CNAME", known(name, "CNAME", [target] if target else [])))
        return [r for r in recs if r.values]

    @staticmethod
    def _publish(dns: DnsBackend, zone: str, rec: Rec, ttl: int, force: bool) -> None:
        if not force and same(rec.type, dns.get_rrset(zone, rec.name, rec.type), rec.values):
            return
        dns.set_rrset(zone, rec.name, rec.type, list(rec.values), ttl, **_rewrite(force))


def _rewrite(force: bool) -> dict[str, bool]:
    """A forced write must reach the authoritative server even when the backend's own view already matches
    (Cloudflare's record store vs. drift at the server); only passed when set, so older backends still fit."""
    return {"rewrite": True} if force else {}


class AuthRecords(Resource, module="coldfleet", name="AuthRecords"):
    domain: pulumi.Output[str]
    tenant_id: pulumi.Output[str]
    dns_backend: pulumi.Output[str]
    verification_txt: pulumi.Output[str]
    dmarc: pulumi.Output[dict[str, Any]]
    ttl: pulumi.Output[int]
    verified: pulumi.Output[bool]
    records: pulumi.Output[list[dict[str, Any]]]
    dkim_selectors: pulumi.Output[list[str]]
    dkim_enabled: pulumi.Output[bool]
    drift: pulumi.Output[list[dict[str, Any]]]

    def __init__(
        self,
        resource_name: str,
        *,
        domain: pulumi.Input[str],
        tenant_id: pulumi.Input[str],
        dns_backend: pulumi.Input[str],
        verification_txt: pulumi.Input[str],
        dmarc: pulumi.Input[dict[str, Any]],
        ttl: pulumi.Input[int] = 3600,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            "domain": domain,
            "tenant_id": tenant_id,
            "dns_backend": dns_backend,
            "verification_txt": verification_txt,
            "dmarc": dmarc,
            "ttl": ttl,
            "verified": None,
            "records": None,
            "dkim_selectors": None,
            "dkim_enabled": None,
            "drift": None,
        }
        super().__init__(AuthRecordsProvider(), resource_name, props, opts)
