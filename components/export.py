"""Sequencer hand-off files (Instantly, Smartlead, EmailBison, plain CSV) for the fleet's mailboxes; all hold secrets.

Only mailboxes of `active` domains are exported: retiring domains keep their mailboxes for replies but must not be
loaded into a sequencer. Rows are sorted by email so the same fleet always yields the same bytes.

Password path (`sending: password`, SMTP AUTH on): the sequencer's own IMAP/SMTP CSV import with the mailbox
passwords. Headers: Instantly's "Bulk import from CSV" template (Email, First Name, ..., Warmup Increment) and
Smartlead's "Bulk upload SMTP accounts" template (from_name, ..., imap_password), as recorded in
/work/shared/reference/partner-cloudflare-sequencers-contract.md (confidence M: both vendors publish the templates as
downloadable files, not as API documentation).

OAuth path (the default, and the durable one once SMTP AUTH is off by default from the end of 2026): Instantly and
Smartlead connect a Microsoft 365 mailbox by OAuth only through a sign-in in their app (Instantly: Add new account →
Microsoft; Smartlead: Add account → Microsoft/Outlook OAuth); their APIs create IMAP/SMTP accounts only. An IMAP/SMTP
import file would not connect, so the hand-off is the sign-in list (`SIGNIN_HEADER`: each mailbox's address, name
and password, which is what that sign-in asks for) — never an import file with empty passwords. The tenant-wide
admin consent for the sequencer's app (`sequencer_app_id`) is granted by M365Tenant, so no consent prompt follows
the sign-in. The sign-in list's columns are coldfleet's own, not a vendor template.

EmailBison (docs.emailbison.com, "Adding Sender Emails" → Bulk Uploading): custom IMAP/SMTP accounts go up as one
CSV file (multipart field `csv`) to `POST /api/sender-emails/bulk` — the page names `/api/sender-emails/imap-smtp`
in its text but its curl example posts to `/bulk`, and the API reference gives `imap-smtp` as the JSON single-account
create and `bulk` as the CSV upload, so the file is for `/bulk` (or the app's upload). The page does not list the
CSV's columns: `EMAILBISON_HEADER` takes the documented single-create fields (name, email, password, imap_server,
imap_port, smtp_server, smtp_port, smtp_secure, imap_secure) in the spelling a public integration uploads to `/bulk`
(unconfirmed by the vendor). `*_secure` follow the reference's own example (port 587 with STARTTLS: false; 993: true).
Microsoft accounts by OAuth go through EmailBison's "Bulk Uploader Tool" (a sign-in program), so the OAuth path hands
over the sign-in list as for the others.
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
EMAILBISON_HEADER = (
    "Name", "Email", "Password", "IMAP Server", "IMAP Port", "SMTP Server", "SMTP Port", "Daily Limit", "SMTP Secure",
    "IMAP Secure",
)
SIGNIN_HEADER = ("Email", "First Name", "Last Name", "Password")
CSV_HEADER = (
    "email", "first_name", "last_name", "display_name", "domain", "daily_limit", "smtp_host", "smtp_port",
    "imap_host", "imap_port", "username", "password",
)

Sequencer = Literal["instantly", "smartlead", "emailbison", "csv"]


class ExportError(ValueError):
    """A mailbox has no password yet: the hand-off would not connect it."""


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


def _emailbison(a: Account, secret: str, _w: WarmupSpec) -> list[object]:
    return [
        a.display_name, a.email, secret, a.imap_host, a.imap_port, a.smtp_host, a.smtp_port, a.daily_limit,
        _bool(a.smtp_port == 465), _bool(a.imap_port == 993),
    ]


def _signin(a: Account, secret: str, _w: WarmupSpec) -> list[object]:
    return [a.email, a.first_name, a.last_name, secret]


def _plain(a: Account, secret: str, _w: WarmupSpec) -> list[object]:
    return [
        a.email, a.first_name, a.last_name, a.display_name, a.domain, a.daily_limit, a.smtp_host, a.smtp_port,
        a.imap_host, a.imap_port, a.email, secret,
    ]


FORMATS = {
    "instantly": (INSTANTLY_HEADER, _instantly),
    "smartlead": (SMARTLEAD_HEADER, _smartlead),
    "emailbison": (EMAILBISON_HEADER, _emailbison),
    "csv": (CSV_HEADER, _plain),
}


def render_csv(
    sequencer: Sequencer,
    accounts: Iterable[Account],
    sending: Literal["oauth", "password"],
    warmup: WarmupSpec | None = None,
) -> str:
    """The hand-off file for `sequencer`: active domains only, sorted by email, every row with its password."""
    header, row = FORMATS[sequencer]
    if sending == "oauth" and sequencer != "csv":
        header, row = SIGNIN_HEADER, _signin
    warmup = warmup or WarmupSpec()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for account in sorted((a for a in accounts if a.status == "active"), key=lambda a: a.email):
        if not account.password:
            raise ExportError(f"mailbox {account.email} has no password yet; run `coldfleet up` first")
        writer.writerow(row(account, account.password, warmup))
    return buffer.getvalue()


def notice(sequencer: Sequencer, sending: str, path: str) -> str:
    """What an operator is told with the file: how this sequencer takes it, and whose responsibility sending is."""
    names = {"instantly": "Instantly", "smartlead": "Smartlead", "emailbison": "EmailBison"}
    name = names.get(sequencer, "your sequencer")
    if sequencer == "csv":
        how = f"{path} lists every active mailbox with its IMAP/SMTP settings and password"
    elif sequencer == "emailbison" and sending == "oauth":
        how = (f"EmailBison connects Microsoft 365 mailboxes through its Bulk Uploader Tool (a sign-in program; no "
               f"API does it): sign in to each mailbox listed in {path} with its password; with sequencer_app_id set, "
               f"the tenant has already consented to that app")
    elif sequencer == "emailbison":
        how = (f"{path} is the CSV for EmailBison's bulk upload of IMAP/SMTP accounts (POST /api/sender-emails/bulk, "
               f"form field `csv`, or the app's upload; check its columns against your instance's template); or set "
               f"coldfleet:emailbisonApiKey (secret) and coldfleet:emailbisonEndpoint and `up` adds the mailboxes "
               f"through EmailBison's API")
    elif sending == "oauth":
        how = (f"{name} connects Microsoft 365 mailboxes by OAuth only through a sign-in in its app (no API does "
               f"it): sign in to each mailbox listed in {path} with its password; the tenant already consented to "
               f"{name}'s app")
    else:
        how = (f"{path} is {name}'s IMAP/SMTP CSV import; or set coldfleet:{sequencer}ApiKey (secret) and `up` "
               f"adds the mailboxes through {name}'s API")
    return (f"{how}. The file holds mailbox passwords (mode 0600): keep it secret and delete it after the import. "
            "Provisioning does not make sending lawful: consent and opt-in rules (e.g. UWG §7(2)) are the "
            "sender's responsibility.")
