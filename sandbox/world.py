"""Shared state of the local world: the tenants, apps and tokens every Microsoft double reads and writes.

All doubles in one sandbox process share one `World`. Hold `world.lock` (an RLock) for every read-modify-write.
Models are plain dataclasses so the world can be pickled to disk (the user's sandbox survives restarts).
"""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, Protocol

from sandbox.knobs import Faults as Faults  # re-exported: pickled worlds and callers name sandbox.world.Faults


def new_id() -> str:
    return str(uuid.uuid4())


class Dns(Protocol):
    """The sandbox's authoritative DNS (BIND9). Doubles that need DNS go through this."""

    def nameservers(self) -> list[str]: ...
    def add_zone(self, zone: str) -> None: ...
    def delete_zone(self, zone: str) -> None: ...
    def has_zone(self, zone: str) -> bool: ...
    def query(self, name: str, rdtype: str) -> list[str]:
        """Ask the authoritative server (never a cache). TXT strings joined, names without trailing dot.
        Returns [] for NXDOMAIN / NoAnswer."""
        ...

    def replace_rrset(self, zone: str, name: str, rdtype: str, ttl: int, values: list[str]) -> None: ...
    def delete_rrset(self, zone: str, name: str, rdtype: str) -> None: ...


@dataclass
class Domain:
    id: str
    verification_code: str  # the MS=ms######## TXT value
    is_verified: bool = False
    is_default: bool = False
    is_initial: bool = False
    supported_services: list[str] = field(default_factory=list)
    authentication_type: str = "Managed"


class ProfilePhoto:
    """A user's profile photo (Graph double). A plain class, not a dataclass, so the admin /state view shows its
    summary (str) instead of the bytes."""

    def __init__(self, data: bytes, media_type: str, width: int, height: int) -> None:
        self.data, self.media_type, self.width, self.height = data, media_type, width, height
        self.updated = time.time()

    def __str__(self) -> str:
        return f"{self.media_type} {self.width}x{self.height}, {len(self.data)} bytes"


@dataclass
class User:
    id: str
    user_principal_name: str
    display_name: str
    mail_nickname: str
    account_enabled: bool = True
    given_name: str | None = None
    surname: str | None = None
    usage_location: str | None = None
    password: str | None = None  # never returned by any double
    assigned_licenses: list[str] = field(default_factory=list)  # skuIds
    extension_attributes: dict[str, str | None] = field(default_factory=dict)  # extensionAttribute1..15
    mailbox_ready_at: float | None = None  # set when a licence with Exchange is assigned
    mailbox_settings: dict[str, Any] = field(default_factory=dict)
    smtp_client_auth_disabled: bool | None = None  # None = follow the tenant setting
    created: float = field(default_factory=time.time)
    deleted_at: float | None = None
    # Other writable Graph user properties (jobTitle, department, ...) by their camelCase names (Graph double).
    properties: dict[str, Any] = field(default_factory=dict)
    photo: ProfilePhoto | None = None  # PUT /users/{id}/photo/$value (Graph double); needs the mailbox

    @property
    def mail(self) -> str | None:
        return self.user_principal_name if self.mailbox_ready_at is not None else None


@dataclass
class Sku:
    sku_id: str
    sku_part_number: str
    enabled: int = 0  # prepaid units
    consumed: int = 0
    service_plans: list[str] = field(default_factory=list)


@dataclass
class DkimConfig:
    domain: str
    selector1_cname: str
    selector2_cname: str
    enabled: bool = False
    key_size: int = 2048  # New-DkimSigningConfig -KeySize


@dataclass
class ServicePrincipal:
    """An enterprise application in a tenant (Graph servicePrincipal); `scopes` maps delegated scope value -> id."""

    id: str
    app_id: str
    display_name: str
    app_owner_organization_id: str | None = None
    scopes: dict[str, str] = field(default_factory=dict)
    service_principal_type: str = "Application"
    created: float = field(default_factory=time.time)
    app_roles: dict[str, str] = field(default_factory=dict)  # application permission value -> appRole id


@dataclass
class AppRoleAssignment:
    """An application permission held by a servicePrincipal (Graph appRoleAssignment): principal SP may call the
    resource SP with the app role `app_role_id` (sandbox/graph/app_roles.py)."""

    id: str
    principal_id: str  # object id of the client servicePrincipal
    resource_id: str  # object id of the resource servicePrincipal (Microsoft Graph, Exchange Online)
    app_role_id: str
    principal_display_name: str = ""
    resource_display_name: str = ""
    created: float = field(default_factory=time.time)


@dataclass
class GdapRelationship:
    """A GDAP relationship (Graph delegatedAdminRelationship) held in the partner's tenant (sandbox/graph/gdap.py)."""

    id: str
    display_name: str
    customer_tenant_id: str
    customer_display_name: str
    role_ids: list[str]
    duration: str = "P730D"
    auto_extend_duration: str = "PT0S"
    status: str = "created"  # created -> approvalPending -> active (approved by the customer's admin)
    created: float = field(default_factory=time.time)
    modified: float = field(default_factory=time.time)
    locked_at: float | None = None  # lockForApproval; active once the approval delay has passed
    activated: float | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)  # {id, action, status, created, modified}


@dataclass
class PermissionGrant:
    """A delegated permission grant (Graph oAuth2PermissionGrant): client SP may call resource SP with `scope`."""

    id: str
    client_id: str  # object id of the client servicePrincipal
    resource_id: str  # object id of the resource servicePrincipal
    consent_type: str  # AllPrincipals | Principal
    scope: str = ""
    principal_id: str | None = None


@dataclass
class Tenant:
    id: str
    display_name: str
    initial_domain: str  # <prefix>.onmicrosoft.com
    country: str
    partner_tenant_id: str | None = None  # the partner that created it (Partner Center)
    domains: dict[str, Domain] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    deleted_users: dict[str, User] = field(default_factory=dict)
    skus: dict[str, Sku] = field(default_factory=dict)
    dkim: dict[str, DkimConfig] = field(default_factory=dict)
    smtp_client_auth_disabled: bool = True  # tenant-wide (Set-TransportConfig)
    security_defaults_enabled: bool = True
    consented_apps: set[str] = field(default_factory=set)  # client ids with admin consent / GDAP
    # Partner Center views of the customer
    billing_profile: dict[str, Any] = field(default_factory=dict)
    agreements: list[dict[str, Any]] = field(default_factory=list)
    carts: dict[str, dict[str, Any]] = field(default_factory=dict)
    orders: list[dict[str, Any]] = field(default_factory=list)
    subscriptions: list[dict[str, Any]] = field(default_factory=list)
    admin_password: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    partner_request_id: str | None = None  # MS-RequestId of the Partner Center create (idempotent replay)
    dkim_partition: str = "n"  # letter in the DKIM selector targets: <prefix>.<letter>-v1.dkim.mail.microsoft
    # Enterprise apps and delegated grants (Graph double, sandbox/graph/consent.py), keyed by object id.
    service_principals: dict[str, ServicePrincipal] = field(default_factory=dict)
    permission_grants: dict[str, PermissionGrant] = field(default_factory=dict)
    # Application permissions (sandbox/graph/app_roles.py) and the client ids whose consent was seeded once.
    app_role_assignments: dict[str, AppRoleAssignment] = field(default_factory=dict)
    seeded_app_roles: set[str] = field(default_factory=set)
    # GDAP relationships this (partner) tenant requested (sandbox/graph/gdap.py), keyed by id.
    gdap_relationships: dict[str, GdapRelationship] = field(default_factory=dict)
    # Partner Center customers are usable once this time has passed (World.tenant_creation_delay_s); None = at once.
    usable_at: float | None = None

    def usable(self) -> bool:
        return self.usable_at is None or time.time() >= self.usable_at


@dataclass
class App:
    """An app registration (client credentials). A partner app may manage the tenants its partner created."""

    client_id: str
    client_secret: str
    home_tenant_id: str
    display_name: str = "coldfleet"
    is_partner: bool = False


@dataclass
class Token:
    value: str
    client_id: str
    tenant_id: str
    audience: str  # e.g. https://graph.microsoft.com
    expires_at: float


@dataclass
class World:
    tenants: dict[str, Tenant] = field(default_factory=dict)
    apps: dict[str, App] = field(default_factory=dict)
    tokens: dict[str, Token] = field(default_factory=dict)
    faults: dict[str, Faults] = field(default_factory=dict)  # by double name
    # Seconds between assignLicense and the mailbox answering mailboxSettings (real: minutes).
    mailbox_provisioning_delay_s: float = 1.0
    # Seconds between a GDAP relationship's lockForApproval and the customer's admin approving it (out of band in
    # reality); a large value keeps relationships in approvalPending, 0 approves at the next read.
    gdap_approval_delay_s: float = 0.0
    # Seconds between Partner Center creating a customer and its tenant being usable (real: minutes). Until then the
    # tenant's subscribedSkus is empty, so the licence bought for it is not visible yet and M365Tenant waits for it.
    tenant_creation_delay_s: float = 0.0
    # Credentials the sandbox seeded for the non-Microsoft doubles (cloudflare_api_token, cloudflare_account_id,
    # namecom_username, namecom_token) plus partner_tenant_id / client_id / client_secret; see sandbox.json.
    credentials: dict[str, str] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.pop("lock", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        # Fields added after a world was pickled get their defaults.
        for f in fields(self):
            if f.name not in state and f.name != "lock":
                if f.default_factory is not MISSING:
                    state[f.name] = f.default_factory()
                elif f.default is not MISSING:
                    state[f.name] = f.default
        self.__dict__.update(state)
        self.lock = threading.RLock()

    def faults_for(self, double: str) -> Faults:
        with self.lock:
            return self.faults.setdefault(double, Faults())

    def tenant_by_domain(self, name: str) -> Tenant | None:
        """The tenant that has `name` as initial or custom domain."""
        with self.lock:
            for tenant in self.tenants.values():
                if tenant.initial_domain == name or name in tenant.domains or tenant.id == name:
                    return tenant
        return None

    def app_can_manage(self, client_id: str, tenant_id: str) -> bool:
        with self.lock:
            app = self.apps.get(client_id)
            tenant = self.tenants.get(tenant_id)
            if app is None or tenant is None:
                return False
            if app.home_tenant_id == tenant_id or client_id in tenant.consented_apps:
                return True
            return app.is_partner and tenant.partner_tenant_id == app.home_tenant_id

    def validate_token(self, bearer: str | None, audience: str) -> Token | str:
        """The token, or the Graph error message for a 401 (`Access token is empty.` etc.)."""
        if not bearer:
            return "Access token is empty."
        with self.lock:
            token = self.tokens.get(bearer)
        if token is None or token.audience.rstrip("/") != audience.rstrip("/"):
            return "Access token validation failure."
        if token.expires_at < time.time():
            return "Lifetime validation failed, the token is expired."
        return token
