"""What an M365Tenant declares (pydantic, no SDK): the tenant of one sending domain, its seats and settings.

The address, contact and residency rules are the shared ones (providers.types); the seat limit is coldfleet's one
rule for mailboxes per tenant.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from providers.types import (
    MAX_MAILBOXES_PER_TENANT,
    Address,
    Contact,
    DomainName,
    Guid,
    Residency,
    country_problem,
    lower,
    upper,
)

Licence = Literal["exchange_online_plan1", "business_basic"]


class M365TenantArgs(BaseModel):
    model_config = ConfigDict(extra="ignore")

    domain: DomainName
    mode: Literal["partner", "existing"]
    tenant_id: Guid | None = None
    residency: Residency
    country: str = Field(pattern=r"^[A-Z]{2}$")
    # Initial domains take letters and digits only; 27 is the limit Microsoft's sign-up enforces.
    domain_prefix: str | None = Field(default=None, pattern=r"^[a-z0-9]{1,27}$")
    company_name: str | None = Field(default=None, min_length=1)
    address: Address | None = None
    contact: Contact | None = None
    licence: Licence
    seats: int = Field(ge=1)
    security_defaults: bool = True
    tenant_smtp_auth: bool = False
    sequencer_app_id: Guid | None = None

    _lowers = field_validator("domain_prefix", mode="before")(lower)
    _country = field_validator("country", mode="before")(upper)

    def problems(self) -> list[tuple[str, str]]:
        """Rules across fields, as (property path, reason)."""
        out = self._mode_problems()
        if problem := country_problem(self.residency, self.country):
            out.append(("country", problem))
        if self.address is not None:
            if problem := country_problem(self.residency, self.address.country):
                out.append(("address.country", problem))
            elif self.mode == "partner" and self.address.country != self.country:
                out.append(("address.country", f"must equal country {self.country!r}: the billing address fixes "
                            "the tenant's country and data location"))
        if self.seats > MAX_MAILBOXES_PER_TENANT:  # below Business Basic's own limit of 300 seats per tenant
            out.append(("seats", f"seats {self.seats}: coldfleet allows at most {MAX_MAILBOXES_PER_TENANT} mailboxes "
                        "per tenant; spread the domains over more tenants"))
        return out

    def _mode_problems(self) -> list[tuple[str, str]]:
        if self.mode == "existing":
            return [] if self.tenant_id else [("tenant_id", "required when mode is 'existing'")]
        out = []
        if self.tenant_id:
            out.append(("tenant_id", "only for mode 'existing'; partner mode creates the tenant, outputs its id"))
        for name in ("domain_prefix", "company_name", "address", "contact"):
            if getattr(self, name) is None:
                out.append((name, "required when mode is 'partner'"))
        return out
