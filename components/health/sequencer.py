"""Health source `sequencer`: each mailbox's sent, bounces, complaints and replies as its sequencer counts them.

From the sequencer's API when the stack configures its key (Instantly API v2 `GET /accounts/analytics/daily`,
summed from the domain's `since`, else over the last 30 days; see providers/clients/sequencers/instantly.py), or
from a CSV export named by `coldfleet:health.sequencerCsv` (it wins when set: it is what the operator chose to
show). Smartlead's API documents no per-mailbox campaign totals, so for Smartlead the CSV is the only source.
Instantly reports no complaint figure (None). A source that cannot answer is one `unknown` finding, never numbers
of zero.

CSV columns are matched by name, case-insensitively: the address in `email` / `email account` / `email_account` /
`from_email` / `account`; `sent` / `emails sent` / `sent_count`; `bounced` / `bounces` / `bounce_count`;
`complaints` / `spam complaints` / `spam_reports`; `replies` / `replied` / `reply_count`. Repeated rows of one
address (a daily export) are summed; a column the file lacks reads as None.
"""

from __future__ import annotations

import csv
import logging
from datetime import timedelta
from pathlib import Path

from components.health.context import HealthContext
from components.health.signals import DomainSignals, Finding, MailboxNumbers
from providers.clients.errors import ClientError
from providers.clients.sequencers import Counts, api_key_for, client_for
from providers.types import mail_address

log = logging.getLogger(__name__)



SOURCE = "sequencer"
COLUMNS = {
    "email": ("email", "email account", "email_account", "from_email", "account"),
    "sent": ("sent", "emails sent", "sent_count"),
    "bounces": ("bounced", "bounces", "bounce_count"),
    "complaints": ("complaints", "spam complaints", "spam_reports"),
    "replies": ("replies", "replied", "reply_count"),
}
NAMES = {"instantly": "Instantly", "smartlead": "Smartlead"}


class CsvUnreadable(ValueError):
    """The sequencer CSV cannot be read or has no address column."""


def read_csv(path: str | Path) -> dict[str, Counts]:
    """Per address (lowercase) the summed numbers of a sequencer's CSV export."""
    try:
        with Path(path).expanduser().open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            header = {name.strip().lower(): name for name in reader.fieldnames or []}
            column = {key: next((header[a] for a in aliases if a in header), None)
                      for key, aliases in COLUMNS.items()}
            if column["email"] is None:
                raise CsvUnreadable(f"{path}: no address column (one of {', '.join(COLUMNS['email'])})")
            totals: dict[str, dict[str, int | None]] = {}
            for row in reader:
                email = (row.get(column["email"]) or "").strip().lower()
                if not email:
                    continue
                total = totals.setdefault(email, {})
                for key in ("sent", "bounces", "complaints", "replies"):
                    name = column[key]
                    if name is None:
                        total[key] = None
                        continue
                    raw = (row.get(name) or "0").strip() or "0"
                    try:
                        value = int(float(raw))
                    except ValueError:
                        raise CsvUnreadable(f"{path}: {name} of {email} is not a number: {raw!r}") from None
                    total[key] = (total.get(key) or 0) + value
    except OSError as error:
        raise CsvUnreadable(f"{path}: {error.strerror or error}") from None
    except csv.Error as error:
        raise CsvUnreadable(f"{path}: not a CSV file ({error})") from None
    return {e: Counts(**t) for e, t in totals.items()}  # type: ignore[arg-type]


def _emails(ctx: HealthContext, domain: str) -> list[str]:
    spec = next((d for d in ctx.spec.domains if d.name == domain), None)
    if spec is None:
        return []
    return [mail_address(plan.local_part, domain) for plan in ctx.spec.mailboxes(spec)]


def _from_api(ctx: HealthContext, kind: str, domain: str, emails: list[str]) -> dict[str, Counts] | str:
    """The API's numbers, or why there are none (one line)."""
    name = NAMES.get(kind, kind)
    if kind not in NAMES:
        return f"sequencer {kind!r} has no API; set coldfleet:health.sequencerCsv to its CSV export"
    if not api_key_for(ctx.settings, kind):
        return f"no {name} API key (coldfleet:{kind}ApiKey) and no coldfleet:health.sequencerCsv"
    spec = next((d for d in ctx.spec.domains if d.name == domain), None)
    start = spec.since if spec is not None and spec.since else ctx.today - timedelta(days=30)
    client = client_for(ctx.settings, kind)
    try:
        numbers = client.numbers(emails, start, ctx.today)
    except ClientError as error:
        return f"{name} did not answer: {error}"
    finally:
        client.close()
    if numbers is None:
        return f"{name}'s API documents no per-mailbox sent/bounce/reply totals; set coldfleet:health.sequencerCsv"
    return numbers


def collect(ctx: HealthContext, signals: DomainSignals) -> None:
    domain, kind = signals.domain, ctx.spec.defaults.sequencer
    emails = _emails(ctx, domain)
    if not emails:
        return
    csv_path = ctx.options.get("sequencerCsv")
    numbers: dict[str, Counts] | str
    if csv_path:
        try:
            numbers, where = read_csv(csv_path), "CSV export"
        except CsvUnreadable as error:
            numbers, where = str(error), ""
    else:
        numbers, where = _from_api(ctx, kind, domain, emails), f"{NAMES.get(kind, kind)} API"
    if isinstance(numbers, str):
        signals.add(Finding(domain, SOURCE, "numbers", "unknown", numbers))
        return
    found = 0
    for email in emails:
        counts = numbers.get(email)
        if counts is None:
            signals.add(Finding(domain, SOURCE, "numbers", "unknown", f"{where} has no row for {email}", email))
            continue
        found += 1
        signals.mailboxes.append(MailboxNumbers(email, counts.sent, counts.bounces, counts.complaints,
                                                counts.replies))
    if found:
        signals.add(Finding(domain, SOURCE, "numbers", "ok", f"{found} of {len(emails)} mailboxes from the {where}"))
