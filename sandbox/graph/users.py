"""Graph user operations on the World: create / update / soft delete / purge, licences and mailbox settings.

Validation follows what Entra ID enforces (required properties, verified-domain UPNs, mailNickname characters,
password complexity, usageLocation before licensing) with the messages from reference/microsoft-contract.md.
"""

from __future__ import annotations

import copy
import logging
import re
import time
from typing import Any

from sandbox.graph import errors
from sandbox.graph.user_props import REQUIRED_ON_CREATE, apply, known_properties, upn_domain, upn_taken
from sandbox.world import Sku, Tenant, User, World, new_id

logger = logging.getLogger(__name__)

def sku_has_exchange(sku: Sku) -> bool:
    return any(plan.startswith("EXCHANGE_S_") for plan in sku.service_plans)


_LOCALE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
MAILBOX_SETTINGS_KEYS = frozenset({
    "archiveFolder", "automaticRepliesSetting", "dateFormat", "delegateMeetingMessageDeliveryOptions", "language",
    "timeFormat", "timeZone", "userPurpose", "workingHours",
})


def _licences_after(tenant: Tenant, current: list[str], add: list[Any], remove: list[Any]) -> list[str]:
    """The skuIds a user holds after assignLicense (400 for an unknown SKU, no free seat, or removing one not held)."""
    assigned = list(current)
    for entry in add:
        sku_id = str(entry.get("skuId", "") if isinstance(entry, dict) else "").lower()
        sku = tenant.skus.get(sku_id)
        if sku is None:
            raise errors.bad_request(f"License {sku_id} does not correspond to a valid company License.")
        if sku_id not in assigned:
            if sku.consumed >= sku.enabled:
                raise errors.bad_request(
                    f"Subscription {sku_id} ({sku.sku_part_number}) does not have any available licenses.")
            assigned.append(sku_id)
    for raw in remove:
        sku_id = str(raw).lower()
        if sku_id not in assigned:
            raise errors.bad_request("User does not have a corresponding license.")
        assigned.remove(sku_id)
    return assigned


class UserOperations:
    """Mixed into GraphBackend; everything here holds `world.lock`."""

    def __init__(self, world: World) -> None:
        self.world = world

    # -- helpers ---------------------------------------------------------------------------------------------
    def tenant(self, tenant_id: str) -> Tenant:
        tenant = self.world.tenants.get(tenant_id)
        if tenant is None:
            raise errors.access_denied()
        return tenant

    def recount_licenses(self, tenant: Tenant) -> None:
        for sku in tenant.skus.values():
            sku.consumed = sum(1 for u in tenant.users.values() if sku.sku_id in u.assigned_licenses)

    def domain_references(self, tenant: Tenant, domain: str) -> list[User]:
        return [u for u in tenant.users.values() if upn_domain(u.user_principal_name) == domain]

    def _find(self, tenant: Tenant, key: str) -> User | None:
        user = tenant.users.get(key)
        if user is None:
            wanted = key.lower()
            user = next((u for u in tenant.users.values() if u.user_principal_name.lower() == wanted), None)
        return user

    # -- users -----------------------------------------------------------------------------------------------
    def list_users(self, tenant_id: str) -> list[User]:
        with self.world.lock:
            return sorted(self.tenant(tenant_id).users.values(), key=lambda u: (u.created, u.id))

    def get_user(self, tenant_id: str, key: str) -> User:
        with self.world.lock:
            user = self._find(self.tenant(tenant_id), key)
            if user is None:
                raise errors.not_found(key)
            return user

    def create_user(self, tenant_id: str, body: dict[str, Any]) -> User:
        for prop in REQUIRED_ON_CREATE:
            if body.get(prop) in (None, ""):
                raise errors.required(prop)
        with self.world.lock:
            tenant = self.tenant(tenant_id)
            user = User(id=new_id(), user_principal_name="", display_name="", mail_nickname="")
            apply(tenant, user, body)
            tenant.users[user.id] = user
            logger.info("tenant %s created user %s", tenant_id, user.user_principal_name)
            return user

    def update_user(self, tenant_id: str, key: str, body: dict[str, Any]) -> None:
        with self.world.lock:
            tenant = self.tenant(tenant_id)
            user = self.get_user(tenant_id, key)
            staged = copy.deepcopy(user)  # all-or-nothing, like the directory
            apply(tenant, staged, body)
            user.__dict__.update(staged.__dict__)

    def delete_user(self, tenant_id: str, key: str) -> None:
        with self.world.lock:
            tenant = self.tenant(tenant_id)
            user = self.get_user(tenant_id, key)
            del tenant.users[user.id]
            user.deleted_at = time.time()
            tenant.deleted_users[user.id] = user
            self.recount_licenses(tenant)
            logger.info("tenant %s soft-deleted user %s", tenant_id, user.user_principal_name)

    def assign_license(self, tenant_id: str, key: str, body: dict[str, Any]) -> User:
        add, remove = body.get("addLicenses"), body.get("removeLicenses")
        if not isinstance(add, list) or not isinstance(remove, list):
            raise errors.bad_request("Both addLicenses and removeLicenses are required.")
        with self.world.lock:
            tenant = self.tenant(tenant_id)
            user = self.get_user(tenant_id, key)
            if not user.usage_location:
                raise errors.bad_request("License assignment cannot be done for user with invalid usage location.")
            self.recount_licenses(tenant)
            assigned = _licences_after(tenant, user.assigned_licenses, add, remove)
            user.assigned_licenses = assigned
            self.recount_licenses(tenant)
            if any(sku_has_exchange(tenant.skus[s]) for s in assigned if s in tenant.skus):
                if user.mailbox_ready_at is None:
                    user.mailbox_ready_at = time.time() + self.world.mailbox_provisioning_delay_s
            else:
                user.mailbox_ready_at = None
            return user

    # -- mailbox settings ------------------------------------------------------------------------------------
    def _mailbox_user(self, tenant_id: str, key: str) -> User:
        user = self.get_user(tenant_id, key)
        if user.mailbox_ready_at is None or user.mailbox_ready_at > time.time():
            raise errors.mailbox_not_enabled()
        return user

    def get_mailbox_settings(self, tenant_id: str, key: str) -> dict[str, Any]:
        with self.world.lock:
            return copy.deepcopy(self._mailbox_user(tenant_id, key).mailbox_settings)

    def update_mailbox_settings(self, tenant_id: str, key: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.world.lock:
            user = self._mailbox_user(tenant_id, key)
            settings = copy.deepcopy(user.mailbox_settings)
            for name, value in known_properties(body, MAILBOX_SETTINGS_KEYS, "mailboxSettings"):
                if name == "timeZone" and (not isinstance(value, str) or not value.strip()):
                    raise errors.GraphError(400, "ErrorInvalidTimeZone", "The specified time zone isn't valid.")
                if name == "language":
                    locale = value.get("locale") if isinstance(value, dict) else None
                    if not isinstance(locale, str) or not _LOCALE.match(locale):
                        raise errors.GraphError(400, "ErrorInvalidArgument", "The specified locale isn't valid.")
                if isinstance(value, dict) and isinstance(settings.get(name), dict):
                    settings[name] = {**settings[name], **value}
                else:
                    settings[name] = value
            user.mailbox_settings = settings
            return copy.deepcopy(settings)

    # -- deleted items ---------------------------------------------------------------------------------------
    def list_deleted_users(self, tenant_id: str) -> list[User]:
        with self.world.lock:
            deleted = self.tenant(tenant_id).deleted_users.values()
            return sorted(deleted, key=lambda u: (u.deleted_at or 0, u.id))

    def get_deleted_item(self, tenant_id: str, object_id: str) -> User:
        with self.world.lock:
            user = self.tenant(tenant_id).deleted_users.get(object_id)
            if user is None:
                raise errors.not_found(object_id)
            return user

    def purge_deleted_item(self, tenant_id: str, object_id: str) -> None:
        with self.world.lock:
            user = self.get_deleted_item(tenant_id, object_id)
            del self.tenant(tenant_id).deleted_users[user.id]
            logger.info("tenant %s purged user %s", tenant_id, user.user_principal_name)

    def restore_deleted_item(self, tenant_id: str, object_id: str) -> User:
        with self.world.lock:
            tenant = self.tenant(tenant_id)
            user = self.get_deleted_item(tenant_id, object_id)
            if upn_taken(tenant, user.user_principal_name):
                raise errors.bad_request("Another object with the same value for property userPrincipalName already "
                                         "exists.", target="userPrincipalName", detail_code="ObjectConflict")
            del tenant.deleted_users[user.id]
            user.deleted_at = None
            tenant.users[user.id] = user
            self.recount_licenses(tenant)
            return user
