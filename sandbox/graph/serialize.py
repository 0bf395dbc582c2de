"""JSON shapes of World objects as Graph v1.0 returns them (only property names from Microsoft's metadata;
tests/sandbox/test_graph_metadata.py checks every one against the CSDL)."""

from __future__ import annotations

import copy
import time
from datetime import UTC, datetime
from typing import Any

from sandbox.graph.models import SERVICE_PLAN_IDS
from sandbox.graph.user_props import EXTENSION_ATTRIBUTES, EXTRA_STRING_PROPERTIES
from sandbox.world import Domain, Sku, Tenant, User

# What GET /users returns without $select (v1.0).
DEFAULT_USER_PROPERTIES = (
    "businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone", "officeLocation",
    "preferredLanguage", "surname", "userPrincipalName", "id",
)
PLAN_SERVICES = {"EXCHANGE_S_STANDARD": "exchange", "SHAREPOINTSTANDARD": "SharePoint", "TEAMS1": "TeamspaceAPI"}
LOCALE_NAMES = {"en-US": "English (United States)", "en-GB": "English (United Kingdom)", "de-DE": "German (Germany)",
                "de-CH": "German (Switzerland)", "fr-FR": "French (France)", "it-IT": "Italian (Italy)",
                "es-ES": "Spanish (Spain)", "nl-NL": "Dutch (Netherlands)"}


def timestamp(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def user_json(user: User, tenant: Tenant) -> dict[str, Any]:
    """Every user property the double knows (selection happens in the query layer)."""
    has_mailbox = user.mailbox_ready_at is not None
    plans = []
    for sku_id in user.assigned_licenses:
        sku = tenant.skus.get(sku_id)
        for plan in sku.service_plans if sku else []:
            plans.append({"assignedDateTime": timestamp(user.created), "capabilityStatus": "Enabled",
                          "service": PLAN_SERVICES.get(plan, plan), "servicePlanId": SERVICE_PLAN_IDS.get(plan)})
    body: dict[str, Any] = {
        "id": user.id,
        "businessPhones": [],
        "displayName": user.display_name,
        "givenName": user.given_name,
        "surname": user.surname,
        "mail": user.mail,
        "userPrincipalName": user.user_principal_name,
        "accountEnabled": user.account_enabled,
        "assignedLicenses": [{"disabledPlans": [], "skuId": sku_id} for sku_id in user.assigned_licenses],
        "assignedPlans": plans,
        "createdDateTime": timestamp(user.created),
        "creationType": None,
        "deletedDateTime": timestamp(user.deleted_at),
        "mailNickname": user.mail_nickname,
        "onPremisesExtensionAttributes": {name: user.extension_attributes.get(name) for name in EXTENSION_ATTRIBUTES},
        "onPremisesSyncEnabled": None,
        "otherMails": [],
        "passwordProfile": None,
        "proxyAddresses": [f"SMTP:{user.user_principal_name}"] if has_mailbox else [],
        "usageLocation": user.usage_location,
        "userType": "Member",
    }
    for name in sorted(EXTRA_STRING_PROPERTIES):
        body[name] = user.properties.get(name)
    return body


def domain_json(domain: Domain) -> dict[str, Any]:
    return {
        "authenticationType": domain.authentication_type,
        "availabilityStatus": None,
        "id": domain.id,
        "isAdminManaged": True,
        "isDefault": domain.is_default,
        "isInitial": domain.is_initial,
        "isRoot": True,
        "isVerified": domain.is_verified,
        "manufacturer": None,
        "model": None,
        "passwordNotificationWindowInDays": 14,
        "passwordValidityPeriodInDays": 2147483647,
        "supportedServices": list(domain.supported_services),
        "state": None,
    }


def sku_json(sku: Sku, tenant: Tenant) -> dict[str, Any]:
    return {
        "accountId": tenant.id,
        "accountName": tenant.display_name,
        "appliesTo": "User",
        "capabilityStatus": "Enabled",
        "consumedUnits": sku.consumed,
        "id": f"{tenant.id}_{sku.sku_id}",
        "prepaidUnits": {"enabled": sku.enabled, "lockedOut": 0, "suspended": 0, "warning": 0},
        "servicePlans": [
            {"appliesTo": "User", "provisioningStatus": "Success", "servicePlanId": SERVICE_PLAN_IDS.get(plan),
             "servicePlanName": plan}
            for plan in sku.service_plans
        ],
        "skuId": sku.sku_id,
        "skuPartNumber": sku.sku_part_number,
        "subscriptionIds": [],
    }


def organization_json(tenant: Tenant) -> dict[str, Any]:
    verified = [
        {"capabilities": ", ".join(d.supported_services) or "None", "isDefault": d.is_default,
         "isInitial": d.is_initial, "name": d.id, "type": d.authentication_type}
        for d in tenant.domains.values() if d.is_verified
    ]
    return {
        "id": tenant.id,
        "deletedDateTime": None,
        "businessPhones": [],
        "city": tenant.billing_profile.get("city"),
        "country": None,
        "countryLetterCode": tenant.country,
        "createdDateTime": timestamp(min((u.created for u in tenant.users.values()), default=time.time())),
        "defaultUsageLocation": None,
        "displayName": tenant.display_name,
        "marketingNotificationEmails": [],
        "onPremisesLastSyncDateTime": None,
        "onPremisesSyncEnabled": None,
        "postalCode": None,
        "preferredLanguage": "en",
        "privacyProfile": None,
        "securityComplianceNotificationMails": [],
        "securityComplianceNotificationPhones": [],
        "state": None,
        "street": None,
        "technicalNotificationMails": [],
        "tenantType": "AAD",
        "assignedPlans": [],
        "provisionedPlans": [],
        "verifiedDomains": verified,
    }


def mailbox_settings_json(user: User, stored: dict[str, Any]) -> dict[str, Any]:
    """Exchange's defaults for a new mailbox, overlaid with what was PATCHed."""
    settings: dict[str, Any] = {
        "archiveFolder": f"AAMk{user.id.replace('-', '')[:24]}AAA=",
        "timeZone": "UTC",
        "delegateMeetingMessageDeliveryOptions": "sendToDelegateOnly",
        "dateFormat": "M/d/yyyy",
        "timeFormat": "h:mm tt",
        "userPurpose": "user",
        "automaticRepliesSetting": {
            "status": "disabled",
            "externalAudience": "all",
            "internalReplyMessage": "",
            "externalReplyMessage": "",
            "scheduledStartDateTime": {"dateTime": "2024-01-01T00:00:00.0000000", "timeZone": "UTC"},
            "scheduledEndDateTime": {"dateTime": "2024-01-02T00:00:00.0000000", "timeZone": "UTC"},
        },
        "language": {"locale": "en-US", "displayName": "English (United States)"},
        "workingHours": {
            "daysOfWeek": ["monday", "tuesday", "wednesday", "thursday", "friday"],
            "startTime": "08:00:00.0000000",
            "endTime": "17:00:00.0000000",
            "timeZone": {"name": "UTC"},
        },
    }
    for key, value in copy.deepcopy(stored).items():
        if isinstance(value, dict) and isinstance(settings.get(key), dict):
            settings[key] = {**settings[key], **value}
        else:
            settings[key] = value
    locale = settings["language"].get("locale")
    settings["language"]["displayName"] = LOCALE_NAMES.get(locale, locale)
    return settings
