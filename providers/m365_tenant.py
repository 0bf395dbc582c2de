"""M365Tenant: an isolated Microsoft 365 tenant per sending domain (Partner Center), or an existing one we may act in.

The tenant only *adds* the custom domain and outputs its verification TXT; AuthRecords publishes and verifies it.
Tenants and subscriptions are never deleted: Partner Center cannot delete production tenants, and subscriptions can be
cancelled only inside the first 7 days. Residency, country and the onmicrosoft prefix force a replacement because a
tenant's data location is fixed when it is created; replacing with the same prefix adopts the same tenant, and
adoption refuses a tenant created in another country.

With `sequencer_app_id` the tenant grants tenant-wide admin consent to the sequencer's multi-tenant app for IMAP and
SMTP over OAuth (Exchange Online delegated scopes), coldfleet's default sending path; `sequencer_consent` outputs the
scopes found at the last read, so a grant revoked or narrowed out of band shows as drift and the next `up` repairs it.
Removing the input revokes the grant; destroy leaves it with the tenant.

Access (providers/m365_access.py): an existing tenant is checked up front — the app's application permissions there
against GRAPH_PERMISSIONS and Exchange.ManageAsApp, failing before any write with the missing ones by name. In
partner mode the partner requests a GDAP relationship with each customer it creates and locks it for the customer's
approval; `gdap_relationship_id` and `gdap_status` (refreshed by read) show where it stands.

Partner Center (customer, MCA, seats): providers/m365_partner.py; tenant settings (security defaults, SMTP AUTH,
sequencer consent): providers/m365_settings.py.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar, Literal

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from providers import config, m365_access, m365_partner, m365_settings, residency
from providers.base import BaseProvider, failures_from, has_unknown, normalise
from providers.clients import errors
from providers.clients.graph import EXCHANGE_ONLINE_APP_ID

log = logging.getLogger(__name__)

GRAPH_PERMISSIONS = (
    "Organization.Read.All", "Domain.ReadWrite.All", "User.ReadWrite.All", "Directory.ReadWrite.All",
    "MailboxSettings.ReadWrite", "Policy.ReadWrite.SecurityDefaults",
)  # fmt: skip
EXCHANGE_PERMISSIONS = "Exchange.ManageAsApp (Office 365 Exchange Online) plus the Exchange Administrator role"
MAX_SEATS = 100  # coldfleet's rule: at most 100 mailboxes per tenant (Microsoft allows more)

GUID = r"^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$"
FQDN = r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$"
EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


def _lower(value: Any) -> Any:
    return value.strip().lower().rstrip(".") if isinstance(value, str) else value


def _upper(value: Any) -> Any:
    return value.strip().upper() if isinstance(value, str) else value


class AddressArgs(BaseModel):
    first_name: str = Field(min_length=1)
    last_name: str = Field(min_length=1)
    address_line1: str = Field(min_length=1)
    city: str = Field(min_length=1)
    state: str = ""
    postal_code: str = Field(min_length=1)
    country: str = Field(pattern=r"^[A-Z]{2}$")
    phone_number: str | None = None

    _country = field_validator("country", mode="before")(_upper)


class ContactArgs(BaseModel):
    first_name: str = Field(min_length=1)
    last_name: str = Field(min_length=1)
    email: str = Field(pattern=EMAIL)


class M365TenantArgs(BaseModel):
    model_config = ConfigDict(extra="ignore")

    domain: str = Field(max_length=253, pattern=FQDN)
    mode: Literal["partner", "existing"]
    tenant_id: str | None = Field(default=None, pattern=GUID)
    residency: Literal["us", "eu", "ch"]
    country: str = Field(pattern=r"^[A-Z]{2}$")
    # Initial domains take letters and digits only; 27 is the limit Microsoft's sign-up enforces.
    domain_prefix: str | None = Field(default=None, pattern=r"^[a-z0-9]{1,27}$")
    company_name: str | None = Field(default=None, min_length=1)
    address: AddressArgs | None = None
    contact: ContactArgs | None = None
    licence: Literal["exchange_online_plan1", "business_basic"]
    seats: int = Field(ge=1)
    security_defaults: bool = True
    tenant_smtp_auth: bool = False
    sequencer_app_id: str | None = Field(default=None, pattern=GUID)

    _lowers = field_validator("domain", "tenant_id", "domain_prefix", "sequencer_app_id", mode="before")(_lower)
    _country = field_validator("country", mode="before")(_upper)

    def problems(self) -> list[tuple[str, str]]:
        """Rules across fields, as (property path, reason)."""
        out: list[tuple[str, str]] = []
        if self.mode == "existing" and not self.tenant_id:
            out.append(("tenant_id", "required when mode is 'existing'"))
        if self.mode == "partner":
            if self.tenant_id:
                out.append(("tenant_id", "only for mode 'existing'; partner mode creates the tenant, outputs its id"))
            for name in ("domain_prefix", "company_name", "address", "contact"):
                if getattr(self, name) is None:
                    out.append((name, "required when mode is 'partner'"))
        if problem := residency.country_problem(self.residency, self.country):
            out.append(("country", problem))
        if self.address is not None:
            if problem := residency.country_problem(self.residency, self.address.country):
                out.append(("address.country", problem))
            elif self.mode == "partner" and self.address.country != self.country:
                out.append(("address.country", f"must equal country {self.country!r}: the billing address fixes "
                            "the tenant's country and data location"))
        if self.seats > MAX_SEATS:  # below Business Basic's own limit of 300 seats per tenant
            out.append(("seats", f"seats {self.seats}: coldfleet allows at most {MAX_SEATS} mailboxes per tenant; "
                        "spread the domains over more tenants"))
        return out


def _lookup(props: dict[str, Any], path: str) -> Any:
    value: Any = props
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value



class M365TenantProvider(BaseProvider):
    ARGS: ClassVar[type[BaseModel]] = M365TenantArgs
    DIFF_KEYS = tuple(M365TenantArgs.model_fields)
    # Data location is fixed at creation (residency, country); the prefix is the tenant's permanent initial domain.
    REPLACE_KEYS = ("domain", "mode", "tenant_id", "residency", "country", "domain_prefix")

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        clean = normalise(news)
        try:
            model = M365TenantArgs.model_validate(clean)
        except ValidationError as error:
            return CheckResult(clean, failures_from(error, clean))
        failures = [CheckFailure(path, why) for path, why in model.problems() if not has_unknown(_lookup(clean, path))]
        return CheckResult(clean if failures else model.model_dump(mode="json"), failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        if news.get("mode") == "partner" and news.get("tenant_id") is None:
            news = {**news, "tenant_id": olds.get("tenant_id")}  # an output in partner mode, not an input
        return super().diff(_id, olds, news)

    def drifted(self, olds: dict[str, Any], news: dict[str, Any]) -> bool:
        return olds.get("domain_present") is False or m365_settings.consent_drift(olds, news)

    # --- lifecycle -------------------------------------------------------------------------------------------------

    def create(self, props: dict[str, Any]) -> CreateResult:
        args = self.parse(props)
        outs = self._converge(args, {})
        return CreateResult(f"{outs['tenant_id']}/{args.domain}", outs)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        args = self.parse(news)
        old = normalise(olds)
        new = args.model_dump(mode="json")
        if old.get("licence") not in (None, args.licence):
            log.warning("update %s: licence %s -> %s: the old subscription keeps its seats (and its cost) until you "
                        "reduce or cancel it in Partner Center", args.domain, old.get("licence"), args.licence)
        if any(old.get(key) != new[key] for key in ("company_name", "address", "contact")):
            log.warning("update %s: company name, billing address and contact are used at tenant creation only; "
                        "Partner Center's billing profile is left unchanged", args.domain)
        return UpdateResult(self._converge(args, old))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        from providers.clients.graph import GraphClient

        settings = config.current()
        old = normalise(props)
        # Not validated: after an earlier refresh the echoed inputs hold live values (0 seats, say).
        inputs = {key: old.get(key) for key in M365TenantArgs.model_fields}
        mode, name, tenant_id = old.get("mode"), old["domain"], old.get("tenant_id")
        if mode == "partner":
            inputs["tenant_id"] = None
        if not tenant_id:
            return ReadResult("", {}, None)
        graph = GraphClient(settings, tenant_id)
        try:
            graph.organization()
        except errors.NotFound:
            log.warning("read %s: tenant %s no longer exists", name, tenant_id)
            return ReadResult("", {}, None)
        live = dict(old)
        domain = graph.get_domain(name)
        live["domain_present"] = domain is not None
        live["domain_verified"] = bool(domain and domain.is_verified)
        if domain is not None and not domain.is_verified:
            live["verification_txt"] = graph.verification_txt(name)
        seats = m365_partner.live_seats(settings, tenant_id, str(mode), str(old.get("licence")))
        if seats is not None:
            live["seats"] = seats
        live["tenant_smtp_auth"] = m365_settings.exchange_client(settings, tenant_id).get_tenant_smtp_auth()
        enabled = m365_settings.security_defaults(graph, None)
        if enabled is not None:
            live["security_defaults"] = enabled
        if old.get("sequencer_app_id"):
            try:
                live["sequencer_consent"] = graph.consent_scopes(old["sequencer_app_id"], EXCHANGE_ONLINE_APP_ID)
            except errors.PermissionDenied as error:
                log.warning("read %s: cannot read the sequencer's admin consent (%s); kept as recorded", name, error)
        if old.get("gdap_relationship_id"):
            try:
                live["gdap_status"] = m365_access.gdap_status(settings, old["gdap_relationship_id"])
            except errors.PermissionDenied as error:
                log.warning("read %s: cannot read the GDAP relationship (%s); kept as recorded", name, error)
        return ReadResult(id_, live, inputs)

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        from providers.clients.graph import GraphClient

        settings = config.current()
        old = normalise(props)
        domain, tenant_id = old["domain"], old.get("tenant_id")
        if tenant_id:
            graph = GraphClient(settings, tenant_id)
            try:
                refs = graph.domain_references(domain)
                if refs:
                    shown = ", ".join(refs[:20]) + (f" and {len(refs) - 20} more" if len(refs) > 20 else "")
                    raise errors.Conflict(
                        f"domain {domain} is still used in tenant {tenant_id} by {len(refs)} object(s): {shown}; "
                        "delete those mailboxes (and purge them) before removing the domain", api="coldfleet")
                try:
                    graph.delete_domain(domain)
                except errors.BadRequest as error:  # soft-deleted users keep their UPN for 30 days
                    raise errors.Conflict(
                        f"domain {domain} cannot be removed from tenant {tenant_id} yet ({error}); deleted mailboxes "
                        "still hold it for 30 days: enable coldfleet:purgeDeletedUsers or purge them in Entra "
                        "(Deleted users), then run destroy again", api="coldfleet") from None
                log.info("delete %s: removed the domain from tenant %s", domain, tenant_id)
            except errors.NotFound:
                log.info("delete %s: domain (or tenant %s) already gone", domain, tenant_id)
        log.warning("delete %s: tenant %s and its subscriptions are kept (Partner Center cannot delete production "
                    "tenants; subscriptions can be cancelled only within 7 days of purchase, in Partner Center)%s",
                    domain, tenant_id, ", and so is the admin consent of sequencer app " + old["sequencer_app_id"]
                    if old.get("sequencer_app_id") else "")

    # --- convergence -----------------------------------------------------------------------------------------------

    def _converge(self, args: M365TenantArgs, old: dict[str, Any]) -> dict[str, Any]:
        """Create or adopt the tenant, then bring licences, domain and settings to the declared state (idempotent)."""
        from providers.clients.graph import GraphClient
        from providers.clients.partner_center import PartnerCenterClient

        settings = config.current()
        admin_username, admin_password = old.get("admin_username"), old.get("admin_password")
        customer_id: str | None = None
        gdap_id: str | None = None
        gdap_state: str | None = None
        pc = PartnerCenterClient(settings)
        if args.mode == "partner":
            assert args.domain_prefix and args.contact
            if old.get("tenant_id"):
                tenant_id = old["tenant_id"]
                initial = old.get("initial_domain") or f"{args.domain_prefix}.onmicrosoft.com"
            else:
                customer = m365_partner.ensure_customer(pc, args)
                tenant_id, initial = customer.tenant_id or customer.id, customer.domain
                admin_username = m365_partner.admin_upn(customer.admin_username, initial)
                admin_password = customer.admin_password
            customer_id = tenant_id
            assert args.company_name
            gdap_id, gdap_state = m365_access.ensure_gdap(settings, tenant_id=tenant_id,
                                                          domain_prefix=args.domain_prefix,
                                                          company_name=args.company_name)
            m365_partner.ensure_mca(pc, customer_id, args)
            graph = GraphClient(settings, tenant_id)
        else:
            assert args.tenant_id
            tenant_id = args.tenant_id
            graph = GraphClient(settings, tenant_id)
            initial = self._check_existing(settings, graph, args)
            customer_id = m365_partner.our_customer(pc, tenant_id)
        if customer_id is not None:
            m365_partner.ensure_seats(pc, customer_id, args)
        domain = graph.add_domain(args.domain)
        txt = graph.verification_txt(args.domain)
        # Seats we bought take a moment to show up in subscribedSkus; someone else's tenant must already have them.
        sku_id = m365_partner.licence_sku(settings, graph, tenant_id, args, wait=customer_id is not None)
        m365_settings.apply_settings(settings, graph, tenant_id, args)
        consent = m365_settings.sequencer_consent(settings, graph, tenant_id, args, old)
        outs = dict(args.model_dump(mode="json"))
        outs.update(tenant_id=tenant_id, initial_domain=initial, verification_txt=txt, licence_sku_id=sku_id,
                    admin_username=admin_username, admin_password=admin_password,
                    domain_present=True, domain_verified=domain.is_verified, sequencer_consent=consent,
                    gdap_relationship_id=gdap_id, gdap_status=gdap_state)
        return outs
    def _check_existing(self, settings: config.Settings, graph: Any, args: M365TenantArgs) -> str:
        """Fail early, listing what to grant, when the app cannot act in the tenant; return its initial domain."""
        try:
            org = graph.organization()
        except (errors.PermissionDenied, errors.AuthenticationFailed, errors.BadRequest) as error:
            raise errors.PermissionDenied(
                f"coldfleet's app {settings.client_id} cannot act in tenant {args.tenant_id} ({error}). An "
                f"administrator of that tenant must grant admin consent for the Microsoft Graph application "
                f"permissions {', '.join(GRAPH_PERMISSIONS)} and {EXCHANGE_PERMISSIONS}", status=403,
                api="coldfleet") from None
        country = str(org.get("countryLetterCode") or "").upper()
        if country and country != args.country:
            raise errors.Conflict(f"tenant {args.tenant_id} is located in {country}, not {args.country}: set country "
                                  f"to {country} (if residency allows it) or use another tenant", api="coldfleet")
        missing = m365_access.missing_permissions(graph, str(settings.client_id), GRAPH_PERMISSIONS)
        if missing:
            raise errors.PermissionDenied(
                f"missing application permissions in tenant {args.tenant_id}: {', '.join(missing)}. An administrator "
                f"of that tenant must grant admin consent for them to coldfleet's app {settings.client_id} (and "
                "assign it the Exchange Administrator role)", status=403, api="coldfleet")
        for domain in org.get("verifiedDomains") or []:
            if domain.get("isInitial"):
                return str(domain.get("name"))
        return ""


class M365Tenant(pulumi.dynamic.Resource, module="coldfleet", name="M365Tenant"):
    """One Microsoft 365 tenant holding one sending domain; `admin_password` is a secret output."""

    domain: pulumi.Output[str]
    mode: pulumi.Output[str]
    residency: pulumi.Output[str]
    country: pulumi.Output[str]
    licence: pulumi.Output[str]
    seats: pulumi.Output[int]
    tenant_id: pulumi.Output[str]
    initial_domain: pulumi.Output[str]
    verification_txt: pulumi.Output[str]
    licence_sku_id: pulumi.Output[str]
    admin_username: pulumi.Output[str | None]
    admin_password: pulumi.Output[str | None]
    domain_present: pulumi.Output[bool]
    domain_verified: pulumi.Output[bool]
    sequencer_consent: pulumi.Output[list[str]]
    gdap_relationship_id: pulumi.Output[str | None]
    gdap_status: pulumi.Output[str | None]

    OUTPUTS: ClassVar[tuple[str, ...]] = ("initial_domain", "verification_txt", "licence_sku_id", "admin_username",
                                          "admin_password", "domain_present", "domain_verified", "sequencer_consent",
                                          "gdap_relationship_id", "gdap_status")

    def __init__(self, resource_name: str, args: dict[str, Any] | None = None,
                 opts: pulumi.ResourceOptions | None = None, **kwargs: Any) -> None:
        props: dict[str, Any] = {"tenant_id": None, **dict(args or {}), **kwargs}
        props.update({name: None for name in self.OUTPUTS if name not in props})
        secret = pulumi.ResourceOptions(additional_secret_outputs=["admin_password"])
        super().__init__(M365TenantProvider(), resource_name, props, pulumi.ResourceOptions.merge(opts, secret))

