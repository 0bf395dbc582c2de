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

Access (access.py): an existing tenant is checked up front — the app's application permissions there
against GRAPH_PERMISSIONS and Exchange.ManageAsApp, failing before any write with the missing ones by name. In
partner mode the partner requests a GDAP relationship with each customer it creates and locks it for the customer's
approval; `gdap_relationship_id` and `gdap_status` (refreshed by read) show where it stands.

Partner Center (customer, MCA, seats): partner.py; tenant settings (security defaults, SMTP AUTH, sequencer consent):
tenant_settings.py; the inputs: args.py.
"""

from __future__ import annotations

import logging
from typing import Any

from pulumi.dynamic import DiffResult

from providers.base import BaseProvider, Created, Read, Updated
from providers.clients import errors
from providers.clients.graph import EXCHANGE_ONLINE_APP_ID, GraphClient
from providers.clients.partner_center import PartnerCenterClient
from providers.config import Settings
from providers.m365_tenant.access import gdap_status, missing_permissions
from providers.m365_tenant.args import M365TenantArgs
from providers.m365_tenant.partner import ensure_partner_tenant, ensure_seats, licence_sku, live_seats, our_customer
from providers.m365_tenant.tenant_settings import apply_settings, consent_drift, read_settings, sequencer_consent

log = logging.getLogger(__name__)

GRAPH_PERMISSIONS = (
    "Organization.Read.All", "Domain.ReadWrite.All", "User.ReadWrite.All", "Directory.ReadWrite.All",
    "MailboxSettings.ReadWrite", "Policy.ReadWrite.SecurityDefaults",
)  # fmt: skip
EXCHANGE_PERMISSIONS = "Exchange.ManageAsApp (Office 365 Exchange Online) plus the Exchange Administrator role"


class M365TenantProvider(BaseProvider[M365TenantArgs]):
    ARGS = M365TenantArgs
    KIND = "M365Tenant"
    DIFF_KEYS = tuple(M365TenantArgs.model_fields)
    # Data location is fixed at creation (residency, country); the prefix is the tenant's permanent initial domain.
    REPLACE_KEYS = ("domain", "mode", "tenant_id", "residency", "country", "domain_prefix")

    def problems(self, args: M365TenantArgs) -> list[tuple[str, str]]:
        return args.problems()

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        if news.get("mode") == "partner" and news.get("tenant_id") is None:
            news = {**news, "tenant_id": olds.get("tenant_id")}  # an output in partner mode, not an input
        return super().diff(_id, olds, news)

    def drifted(self, olds: dict[str, Any], news: dict[str, Any]) -> bool:
        return olds.get("domain_present") is False or consent_drift(olds, news)

    # --- lifecycle -------------------------------------------------------------------------------------------------

    def _create(self, args: M365TenantArgs, settings: Settings) -> Created:
        outs = self._converge(settings, args, {})
        return Created(f"{outs['tenant_id']}/{args.domain}", outs)

    def _update(self, _id: str, olds: dict[str, Any], args: M365TenantArgs, settings: Settings) -> Updated:
        new = self.dump(args)
        if olds.get("licence") not in (None, args.licence):
            log.warning("update %s: licence %s -> %s: the old subscription keeps its seats (and its cost) until you "
                        "reduce or cancel it in Partner Center", args.domain, olds.get("licence"), args.licence)
        if any(olds.get(key) != new[key] for key in ("company_name", "address", "contact")):
            log.warning("update %s: company name, billing address and contact are used at tenant creation only; "
                        "Partner Center's billing profile is left unchanged", args.domain)
        return Updated(self._converge(settings, args, olds))

    def _read(self, id_: str, props: dict[str, Any], settings: Settings) -> Read:
        # Not validated: after an earlier refresh the echoed inputs hold live values (0 seats, say).
        inputs = {key: props.get(key) for key in M365TenantArgs.model_fields}
        mode, name, tenant_id = props.get("mode"), props["domain"], props.get("tenant_id")
        if mode == "partner":
            inputs["tenant_id"] = None
        if not tenant_id:
            return Read("", {}, None)
        graph = GraphClient(settings, tenant_id)
        try:
            graph.organization()
        except errors.NotFound:
            log.warning("read %s: tenant %s no longer exists", name, tenant_id)
            return Read("", {}, None)
        live = dict(props)
        domain = graph.get_domain(name)
        live["domain_present"] = domain is not None
        live["domain_verified"] = bool(domain and domain.is_verified)
        if domain is not None and not domain.is_verified:
            live["verification_txt"] = graph.verification_txt(name)
        seats = live_seats(settings, tenant_id, str(mode), str(props.get("licence")))
        if seats is not None:
            live["seats"] = seats
        live.update(read_settings(settings, graph, tenant_id))
        live.update(self._read_grants(settings, graph, props))
        return Read(id_, live, inputs)

    @staticmethod
    def _read_grants(settings: Settings, graph: GraphClient, props: dict[str, Any]) -> dict[str, Any]:
        """The sequencer's consent and the GDAP status as they are now; kept as recorded when not readable."""
        live: dict[str, Any] = {}
        if props.get("sequencer_app_id"):
            try:
                live["sequencer_consent"] = graph.consent_scopes(props["sequencer_app_id"], EXCHANGE_ONLINE_APP_ID)
            except errors.PermissionDenied as error:
                log.warning("read %s: cannot read the sequencer's admin consent (%s); kept as recorded",
                            props["domain"], error)
        if props.get("gdap_relationship_id"):
            try:
                live["gdap_status"] = gdap_status(settings, props["gdap_relationship_id"])
            except errors.PermissionDenied as error:
                log.warning("read %s: cannot read the GDAP relationship (%s); kept as recorded", props["domain"],
                            error)
        return live

    def _delete(self, _id: str, props: dict[str, Any], settings: Settings) -> None:
        domain, tenant_id = props["domain"], props.get("tenant_id")
        if tenant_id:
            try:
                self._remove_domain(GraphClient(settings, tenant_id), domain, tenant_id)
            except errors.NotFound:
                log.info("delete %s: domain (or tenant %s) already gone", domain, tenant_id)
        log.warning("delete %s: tenant %s and its subscriptions are kept (Partner Center cannot delete production "
                    "tenants; subscriptions can be cancelled only within 7 days of purchase, in Partner Center)%s",
                    domain, tenant_id, ", and so is the admin consent of sequencer app " + props["sequencer_app_id"]
                    if props.get("sequencer_app_id") else "")

    @staticmethod
    def _remove_domain(graph: GraphClient, domain: str, tenant_id: str) -> None:
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

    # --- convergence -----------------------------------------------------------------------------------------------

    def _converge(self, settings: Settings, args: M365TenantArgs, old: dict[str, Any]) -> dict[str, Any]:
        """Create or adopt the tenant, then bring licences, domain and settings to the declared state (idempotent)."""
        pc = PartnerCenterClient(settings)
        outs: dict[str, Any] = {"admin_username": old.get("admin_username"),
                                "admin_password": old.get("admin_password"),
                                "gdap_relationship_id": None, "gdap_status": None}
        if args.mode == "partner":
            outs.update(ensure_partner_tenant(settings, pc, args, old))
            customer_id: str | None = outs["tenant_id"]
        else:
            assert args.tenant_id
            outs["tenant_id"] = args.tenant_id
            outs["initial_domain"] = self._check_existing(settings, GraphClient(settings, args.tenant_id), args)
            customer_id = our_customer(pc, args.tenant_id)
        tenant_id = outs["tenant_id"]
        graph = GraphClient(settings, tenant_id)
        if customer_id is not None:
            ensure_seats(pc, customer_id, args)
        domain = graph.add_domain(args.domain)
        txt = graph.verification_txt(args.domain)
        # Seats we bought take a moment to show up in subscribedSkus; someone else's tenant must already have them.
        sku_id = licence_sku(settings, graph, tenant_id, args, wait=customer_id is not None)
        apply_settings(settings, graph, tenant_id, args)
        consent = sequencer_consent(settings, graph, tenant_id, args, old)
        return {**self.dump(args), **outs, "verification_txt": txt, "licence_sku_id": sku_id, "domain_present": True,
                "domain_verified": domain.is_verified, "sequencer_consent": consent}

    @staticmethod
    def _check_existing(settings: Settings, graph: GraphClient, args: M365TenantArgs) -> str:
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
        missing = missing_permissions(graph, str(settings.client_id), GRAPH_PERMISSIONS)
        if missing:
            raise errors.PermissionDenied(
                f"missing application permissions in tenant {args.tenant_id}: {', '.join(missing)}. An administrator "
                f"of that tenant must grant admin consent for them to coldfleet's app {settings.client_id} (and "
                "assign it the Exchange Administrator role)", status=403, api="coldfleet")
        for domain in org.get("verifiedDomains") or []:
            if domain.get("isInitial"):
                return str(domain.get("name"))
        return ""
