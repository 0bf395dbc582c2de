"""What a DomainMailboxes declares (pydantic, no SDK): the tenant, the domain, and each of its mailboxes' user id with
the mailbox settings, sending mode and photo that Mailbox declares for it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from providers.types import DomainName, Guid


class Pending(BaseModel):
    """One mailbox to finish: the user Mailbox created, and what its mailbox is to hold."""

    model_config = ConfigDict(extra="ignore")

    user_id: str = Field(min_length=1)
    upn: str = Field(min_length=3)
    time_zone: str = Field(default="UTC", min_length=1)
    language: str = "en-US"
    sending: Literal["oauth", "password"]
    photo: str | None = None


class DomainMailboxesArgs(BaseModel):
    model_config = ConfigDict(extra="ignore")

    tenant_id: Guid
    domain: DomainName
    mailboxes: list[Pending]
