"""What SequencerAccounts declares (pydantic, no SDK): one sequencer's accounts, keyed by address.

`accounts` is a map keyed by email so a preview's diff names the accounts that change; the mailbox passwords are a
separate input (`passwords`, secret) so that the map itself stays readable in previews.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

EMAIL = r"^[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}$"


class AccountArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    first_name: str = Field(min_length=1)
    last_name: str = Field(min_length=1)
    daily_limit: int = Field(ge=0, le=10000)
    status: Literal["active", "retiring"]  # retiring: kept for replies, paused in the sequencer


class WarmupArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    limit: int = Field(default=10, ge=1, le=100)
    increment: int = Field(default=1, ge=0, le=10)
    reply_rate: int = Field(default=30, ge=0, le=100)


class SequencerAccountsArgs(BaseModel):
    model_config = ConfigDict(extra="ignore")

    sequencer: Literal["instantly", "smartlead", "emailbison"]
    sending: Literal["oauth", "password"]
    accounts: dict[str, AccountArgs]
    warmup: WarmupArgs = Field(default_factory=WarmupArgs)
    passwords: dict[str, str] = Field(default_factory=dict)  # password path only; secret

    @field_validator("accounts")
    @classmethod
    def _addresses(cls, value: dict[str, AccountArgs]) -> dict[str, AccountArgs]:
        bad = sorted(k for k in value if not re.match(EMAIL, k))
        if bad:
            raise ValueError(f"not lowercase email addresses: {', '.join(bad)}")
        return value
