"""What a Mailbox declares (pydantic, no SDK): one licensed mailbox `local_part@domain` in a tenant."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from providers.types import DomainName, Guid, lower, mail_address, upper

MARKER = "coldfleet"  # extensionAttribute15 of every user coldfleet creates
# mailNickname is the local part: ASCII letters, digits and . - _ ; no leading, trailing or doubled dots.
LOCAL_PART = r"^(?!.*\.\.)[a-z0-9_]([a-z0-9._-]{0,62}[a-z0-9_-])?$"


class MailboxArgs(BaseModel):
    model_config = ConfigDict(extra="ignore", regex_engine="python-re")

    tenant_id: Guid
    domain: DomainName
    local_part: str = Field(pattern=LOCAL_PART)
    first_name: str = Field(min_length=1, max_length=64)
    last_name: str = Field(min_length=1, max_length=64)
    display_name: str = Field(min_length=1, max_length=256)
    usage_location: str = Field(pattern=r"^[A-Z]{2}$")
    licence_sku_id: Guid
    sending: Literal["oauth", "password"]
    time_zone: str = Field(default="UTC", min_length=1)
    language: str = Field(default="en-US", pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,4})?$")
    domain_verified: bool
    photo: str | None = Field(default=None, min_length=1)  # path of a JPEG/PNG on the operator's machine
    photo_sha256: str | None = None  # set by check from the file's bytes (whatever the program passes is replaced)

    _lowers = field_validator("local_part", mode="before")(lower)
    _upper = field_validator("usage_location", mode="before")(upper)

    @field_validator("domain_verified")
    @classmethod
    def _verified(cls, value: bool) -> bool:
        if not value:
            raise ValueError("the domain is not verified in the tenant yet; wire AuthRecords.verified so mailboxes "
                             "are created after verification")
        return value

    @property
    def upn(self) -> str:
        return mail_address(self.local_part, self.domain)
