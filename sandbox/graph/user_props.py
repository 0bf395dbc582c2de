"""Writable Graph user properties: what Entra ID accepts for each (UPN on a verified domain, mailNickname characters,
password complexity, usageLocation), one setter per property, applied all-or-nothing by users.py."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator
from typing import Any

from sandbox.graph import errors
from sandbox.world import Tenant, User

EXTENSION_ATTRIBUTES = tuple(f"extensionAttribute{i}" for i in range(1, 16))
REQUIRED_ON_CREATE = ("accountEnabled", "displayName", "mailNickname", "passwordProfile", "userPrincipalName")
# Writable string properties kept in `User.properties`.
EXTRA_STRING_PROPERTIES = frozenset({
    "jobTitle", "department", "companyName", "officeLocation", "mobilePhone", "preferredLanguage", "city",
    "country", "state", "streetAddress", "postalCode", "employeeId", "passwordPolicies", "employeeType",
})
READ_ONLY = frozenset({
    "id", "mail", "createdDateTime", "assignedLicenses", "assignedPlans", "provisionedPlans", "proxyAddresses",
    "deletedDateTime", "creationType", "userType", "securityIdentifier", "onPremisesSyncEnabled",
})
_NICKNAME = re.compile(r"^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.]{1,64}$")
_UPN_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.]{1,64}$")
_COUNTRY = re.compile(r"^[A-Za-z]{2}$")
PASSWORD_COMPLEXITY = (
    "The specified password does not comply with password complexity requirements. Please provide a different password."
)


def upn_domain(upn: str) -> str:
    return upn.rpartition("@")[2].lower()


def _password_ok(password: Any) -> bool:
    if not isinstance(password, str) or not 8 <= len(password) <= 256:
        return False
    classes = [any(c.islower() for c in password), any(c.isupper() for c in password),
               any(c.isdigit() for c in password), any(not c.isalnum() for c in password)]
    return sum(classes) >= 3


def _dot_ok(local: str) -> bool:
    return not (local.startswith(".") or local.endswith(".") or ".." in local)


def upn_taken(tenant: Tenant, upn: str, exclude: str | None = None) -> bool:
    return any(u.user_principal_name.lower() == upn.lower() and u.id != exclude for u in tenant.users.values())

def check_upn(tenant: Tenant, upn: Any, exclude: str | None = None) -> str:
    if not isinstance(upn, str) or upn.count("@") != 1:
        raise errors.invalid_value("userPrincipalName")
    local, _, domain = upn.partition("@")
    if not _UPN_LOCAL.match(local) or not _dot_ok(local):
        raise errors.invalid_value("userPrincipalName")
    known = tenant.domains.get(domain.lower())
    if domain.lower() != tenant.initial_domain.lower() and (known is None or not known.is_verified):
        raise errors.bad_request(
            "The domain portion of the userPrincipalName property is invalid. You must use one of the verified "
            "domain names in your organization.", target="userPrincipalName")
    if upn_taken(tenant, upn, exclude):
        raise errors.bad_request("Another object with the same value for property userPrincipalName already "
                                 "exists.", target="userPrincipalName", detail_code="ObjectConflict")
    return f"{local}@{domain.lower()}"

def _set_enabled(_tenant: Tenant, user: User, key: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise errors.invalid_value(key)
    user.account_enabled = value


def _set_upn(tenant: Tenant, user: User, _key: str, value: Any) -> None:
    user.user_principal_name = check_upn(tenant, value, exclude=user.id)


def _set_nickname(_tenant: Tenant, user: User, _key: str, value: Any) -> None:
    if not isinstance(value, str) or not _NICKNAME.match(value) or not _dot_ok(value):
        raise errors.invalid_value("mailNickname")
    user.mail_nickname = value


def _set_display_name(_tenant: Tenant, user: User, key: str, value: Any) -> None:
    if not isinstance(value, str) or not value.strip() or len(value) > 256:
        raise errors.invalid_value(key)
    user.display_name = value


def _set_name_part(_tenant: Tenant, user: User, key: str, value: Any) -> None:
    if value is not None and (not isinstance(value, str) or len(value) > 64):
        raise errors.invalid_value(key)
    setattr(user, "given_name" if key == "givenName" else "surname", value)


def _set_usage_location(_tenant: Tenant, user: User, key: str, value: Any) -> None:
    if value is None and user.assigned_licenses:
        raise errors.bad_request("The usage location of a licensed user cannot be removed.", target=key)
    if value is not None and (not isinstance(value, str) or not _COUNTRY.match(value)):
        raise errors.invalid_value(key)
    user.usage_location = value.upper() if value else None


def _set_password(_tenant: Tenant, user: User, _key: str, value: Any) -> None:
    if not isinstance(value, dict) or not _password_ok(value.get("password")):
        raise errors.bad_request(PASSWORD_COMPLEXITY, target="passwordProfile")
    user.password = value["password"]


def _set_extensions(_tenant: Tenant, user: User, _key: str, value: Any) -> None:
    apply_extension_attributes(user, value)


def _set_extra(_tenant: Tenant, user: User, key: str, value: Any) -> None:
    if value is not None and not isinstance(value, str):
        raise errors.invalid_value(key)
    user.properties[key] = value


Setter = Callable[[Tenant, User, str, Any], None]
SETTERS: dict[str, Setter] = {
    "accountEnabled": _set_enabled,
    "userPrincipalName": _set_upn,
    "mailNickname": _set_nickname,
    "displayName": _set_display_name,
    "givenName": _set_name_part,
    "surname": _set_name_part,
    "usageLocation": _set_usage_location,
    "passwordProfile": _set_password,
    "onPremisesExtensionAttributes": _set_extensions,
    **dict.fromkeys(EXTRA_STRING_PROPERTIES, _set_extra),
}


def apply(tenant: Tenant, user: User, body: dict[str, Any]) -> None:
    """Validate and apply writable properties (shared by create and update)."""
    for key, value in body.items():
        if "@" in key:  # instance annotations such as @odata.type
            continue
        if key in READ_ONLY:
            raise errors.bad_request(f"Property '{key}' is read-only and cannot be set.", target=key)
        setter = SETTERS.get(key)
        if setter is None:
            raise errors.bad_request(f"Invalid property '{key}'.", target=key)
        setter(tenant, user, key, value)


def known_properties(body: dict[str, Any], known: Collection[str], type_name: str) -> Iterator[tuple[str, Any]]:
    """The body's properties without instance annotations; one the complex type lacks is a 400 like Graph's."""
    for name, value in body.items():
        if "@" in name:
            continue
        if name not in known:
            raise errors.odata_bad_request(
                f"The property '{name}' does not exist on type 'microsoft.graph.{type_name}'.")
        yield name, value


def apply_extension_attributes(user: User, value: Any) -> None:
    if not isinstance(value, dict):
        raise errors.invalid_value("onPremisesExtensionAttributes")
    for name, attr in known_properties(value, EXTENSION_ATTRIBUTES, "onPremisesExtensionAttributes"):
        if attr is not None and (not isinstance(attr, str) or len(attr) > 1024):
            raise errors.invalid_value(f"onPremisesExtensionAttributes.{name}")
        user.extension_attributes[name] = attr
