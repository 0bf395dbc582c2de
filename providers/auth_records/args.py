"""What AuthRecords declares (pydantic, no SDK): the records of one sending domain in its tenant."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from providers.types import Dmarc, DomainName


class AuthRecordsArgs(BaseModel):
    model_config = ConfigDict(extra="ignore")

    domain: DomainName
    tenant_id: str = Field(min_length=1)
    dns_backend: Literal["cloudflare", "rfc2136"]
    verification_txt: str
    dmarc: Dmarc  # the state spells its testing flag `t` (model_dump by alias)
    ttl: int = Field(default=3600, ge=60, le=86400)

    @field_validator("verification_txt")
    @classmethod
    def _ms(cls, value: str) -> str:
        if not value.startswith("MS="):
            raise ValueError("must be the MS=ms######## value from Graph's verificationDnsRecords")
        return value
