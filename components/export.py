"""Sequencer import files (Instantly, Smartlead, plain CSV) for the fleet's mailboxes.

Only mailboxes of `active` domains are exported: retiring domains keep their mailboxes for replies but must not be
loaded into a sequencer. Rows are sorted by email so the same fleet always yields the same bytes.

Sending path: with `oauth` (the default, and the durable path once basic SMTP AUTH is off by default from the end of
2026) the password columns are left **empty** on purpose — the sequencer connects each mailbox with OAuth (admin
consent for its app in the tenant) and never needs the password. With `password` (the SMTP AUTH opt-in) the
generated mailbox passwords are written into the file, which must then be treated as a secret.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from components.spec import WarmupSpec
from providers.types import IMAP_HOST, IMAP_PORT, SMTP_HOST, SMTP_PORT

INSTANTLY_HEADER = (
    "Email", "First Name", "Last Name", "IMAP Username", "IMAP Password", "IMAP Host", "IMAP Port", "SMTP Username",
    "SMTP Password", "SMTP Host", "SMTP Port", "Daily Limit", "Warmup Enabled", "Warmup Limit", "Warmup Increment",
)
SMARTLEAD_HEADER = (
    "from_name", "from_email", "user_name", "password", "smtp_host", "smtp_port", "imap_host", "imap_port",
    "max_email_per_day", "custom_tracking_url", "warmup_enabled", "total_warmup_per_day", "daily_rampup",
    "reply_rate_percentage", "bcc", "signature", "different_reply_to_address", "imap_user_name", "imap_password",
)
CSV_HEADER = (
    "email", "first_name", "last_name", "display_name", "domain", "daily_limit", "smtp_host", "smtp_port",
    "imap_host", "imap_port", "username", "password",
)

Sequencer = Literal["instantly", "smartlead", "csv"]


@dataclass(frozen=True)
class Account:
    """One mailbox as a sequencer sees it. `status` is its domain's lifecycle status."""

    email: str
    first_name: str
    last_name: str
    status: str
    daily_limit: int
    password: str | None = None
    smtp_host: str = SMTP_HOST
    smtp_port: int = SMTP_PORT
    imap_host: str = IMAP_HOST
    imap_port: int = IMAP_PORT

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def domain(self) -> str:
        return self.email.rpartition("@")[2]


def _bool(value: bool) -> str:
    return "TRUE" if value else "FALSE"


def _instantly(a: Account, secret: str, w: WarmupSpec) -> list[object]:
    return [
        a.email, a.first_name, a.last_name, a.email, secret, a.imap_host, a.imap_port, a.email, secret, a.smtp_host,
        a.smtp_port, a.daily_limit, _bool(w.enabled), w.limit, w.increment,
    ]


def _smartlead(a: Account, secret: str, w: WarmupSpec) -> list[object]:
    return [
        a.display_name, a.email, a.email, secret, a.smtp_host, a.smtp_port, a.imap_host, a.imap_port, a.daily_limit,
        "", _bool(w.enabled), w.limit, w.increment, w.reply_rate, "", "", "", a.email, secret,
    ]


def _plain(a: Account, secret: str, _w: WarmupSpec) -> list[object]:
    return [
        a.email, a.first_name, a.last_name, a.display_name, a.domain, a.daily_limit, a.smtp_host, a.smtp_port,
        a.imap_host, a.imap_port, a.email, secret,
    ]


FORMATS = {
    "instantly": (INSTANTLY_HEADER, _instantly),
    "smartlead": (SMARTLEAD_HEADER, _smartlead),
    "csv": (CSV_HEADER, _plain),
}


def render_csv(
    sequencer: Sequencer,
    accounts: Iterable[Account],
    sending: Literal["oauth", "password"],
    warmup: WarmupSpec | None = None,
) -> str:
    """The import file for `sequencer`: active domains only, sorted by email, passwords only on the password path."""
    header, row = FORMATS[sequencer]
    warmup = warmup or WarmupSpec()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for account in sorted((a for a in accounts if a.status == "active"), key=lambda a: a.email):
        secret = (account.password or "") if sending == "password" else ""
        writer.writerow(row(account, secret, warmup))
    return buffer.getvalue()
