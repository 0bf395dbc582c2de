"""The M365Tenant resource a program declares; `admin_password` is a secret output."""

from __future__ import annotations

from typing import Any

import pulumi

from providers.m365_tenant.provider import M365TenantProvider
from providers.resource import CustomResource


class M365Tenant(CustomResource, module="coldfleet", name="M365Tenant"):
    """One Microsoft 365 tenant holding one sending domain (inputs: providers/m365_tenant/args.py)."""

    # Typed for the program; every name in OUTPUTS (and every input) is an Output attribute at runtime.
    tenant_id: pulumi.Output[str]
    verification_txt: pulumi.Output[str]
    licence_sku_id: pulumi.Output[str]

    OUTPUTS = ("initial_domain", "verification_txt", "licence_sku_id", "admin_username", "admin_password",
               "domain_present", "domain_verified", "sequencer_consent", "gdap_relationship_id", "gdap_status")
    SECRET_OUTPUTS = ("admin_password",)

    def __init__(
        self, resource_name: str, *, domain: pulumi.Input[str], mode: pulumi.Input[str],
        residency: pulumi.Input[str], country: pulumi.Input[str], licence: pulumi.Input[str],
        seats: pulumi.Input[int], tenant_id: pulumi.Input[str] | None = None,
        domain_prefix: pulumi.Input[str] | None = None, company_name: pulumi.Input[str] | None = None,
        address: pulumi.Input[dict[str, Any]] | None = None, contact: pulumi.Input[dict[str, Any]] | None = None,
        security_defaults: pulumi.Input[bool] = True, tenant_smtp_auth: pulumi.Input[bool] = False,
        sequencer_app_id: pulumi.Input[str] | None = None, opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        self.register(M365TenantProvider(), resource_name, locals(), opts)
