"""Microsoft's side of a domain: what the tenant (Graph) and Exchange Online say about it and its mailboxes.

Checks (source `microsoft`), each one Finding per domain, or per mailbox where it names one:
- `domain-verified`: Graph `GET /domains/{name}`, `isVerified`; missing or unverified → broken.
- `mailbox`: each mailbox of the stack's inventory is a user of the tenant (matched on its address, or on its
  mailNickname once renamed to the initial domain); missing → broken (`up` creates it again).
- `account-enabled`: `accountEnabled` false (a blocked sign-in, which coldfleet never sets) → broken.
- `custom-domain-address`: the userPrincipalName or the primary SMTP address (proxyAddresses `SMTP:`) on
  `*.onmicrosoft.com`, which Microsoft caps at 100 external recipients a day → broken.
- `restricted-sender`: Exchange's restricted entities (`Get-BlockedSenderAddress` through the admin API's
  InvokeCommand): a mailbox on it was stopped for outbound spam or a sending limit → worn.
- `sequencer-consent` (with `defaults.sending: oauth` and `sequencer_app_id`): the tenant-wide oAuth2PermissionGrant of
  the sequencer's app on Office 365 Exchange Online holds IMAP.AccessAsUser.All and SMTP.Send (as M365Tenant grants
  it); a scope missing → broken.
- `terrl`: the external recipients the ramp plans today for every active domain of the tenant against the tenant's
  outbound limit (`components.spec.limits.terrl` over the licences the tenant bought, `subscribedSkus`
  prepaidUnits.enabled; 5,000 for a trial): above the limit less `tenant.outbound_headroom` → watch, above the
  limit → worn.

A source that cannot answer (authentication refused, 5xx after the client's retries, a domain not deployed yet) makes
its checks `unknown`; once a source failed in a run for a domain its remaining checks are unknown without asking again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from components.health.context import HealthContext
from components.health.signals import DomainSignals, Finding, Level
from components.ramp import domain_daily_limit
from components.spec.limits import terrl
from providers.clients.errors import ClientError
from providers.clients.exchange import ExchangeClient
from providers.clients.graph import EXCHANGE_ONLINE_APP_ID, GraphClient
from providers.clients.graph.mail import MailUser, list_mail_users
from providers.m365_tenant.tenant_settings import SEQUENCER_SCOPES
from providers.types import is_under

log = logging.getLogger(__name__)

SOURCE = "microsoft"
ONMICROSOFT = "onmicrosoft.com"
GRAPH_CHECKS = ("domain-verified", "mailbox", "account-enabled", "custom-domain-address", "sequencer-consent", "terrl")
EXCHANGE_CHECKS = ("restricted-sender",)


@dataclass
class _Run:
    """One domain's checks: findings go to `signals`; a source that failed once answers unknown from then on."""

    signals: DomainSignals
    failed: dict[str, str] = field(default_factory=dict)  # source ("graph", "exchange") -> why

    def add(self, check: str, level: Level, detail: str = "", mailbox: str | None = None) -> None:
        self.signals.add(Finding(self.signals.domain, SOURCE, check, level, detail, mailbox))

    def guarded(self, source: str, checks: tuple[str, ...], work: Callable[[], None]) -> None:
        if source in self.failed:
            for check in checks:
                self.add(check, "unknown", self.failed[source])
            return
        try:
            work()
        except ClientError as error:
            self.failed[source] = f"{source} could not answer: {error}"
            log.warning("%s: %s", self.signals.domain, self.failed[source])
            for check in checks:
                self.add(check, "unknown", self.failed[source])


def collect(ctx: HealthContext, signals: DomainSignals) -> None:
    domain = signals.domain
    entry = ctx.inventory.get(domain)
    entry = entry if isinstance(entry, dict) else {}
    tenant_id = entry.get("tenant_id")
    if not isinstance(tenant_id, str) or not tenant_id:
        for check in (*GRAPH_CHECKS, *EXCHANGE_CHECKS):
            signals.add(Finding(domain, SOURCE, check, "unknown", "no tenant in the stack's inventory yet: run up"))
        return
    emails = [str(m.get("email", "")).lower() for m in entry.get("mailboxes") or [] if isinstance(m, dict)]
    graph, run = GraphClient(ctx.settings, tenant_id), _Run(signals)
    users: dict[str, MailUser] = {}

    run.guarded("graph", GRAPH_CHECKS[:1], lambda: _domain_verified(run, graph, domain))
    run.guarded("graph", GRAPH_CHECKS[1:4], lambda: _mailboxes(run, graph, emails, users))
    consent = ctx.spec.defaults.sending == "oauth" and bool(ctx.spec.defaults.sequencer_app_id)
    run.guarded("graph", GRAPH_CHECKS[4:5] if consent else (), lambda: _consent(run, ctx, graph))
    run.guarded("graph", GRAPH_CHECKS[5:], lambda: _terrl(run, ctx, graph, tenant_id))
    run.guarded("exchange", EXCHANGE_CHECKS, lambda: _restricted(run, ExchangeClient(ctx.settings, tenant_id),
                                                                 emails, users))


def _domain_verified(run: _Run, graph: GraphClient, domain: str) -> None:
    found = graph.get_domain(domain)
    if found is None:
        run.add("domain-verified", "broken", f"{domain} is not a domain of its tenant: run up to add it")
    elif not found.is_verified:
        run.add("domain-verified", "broken", f"{domain} is not verified in its tenant: check the MS= TXT, run up")
    else:
        run.add("domain-verified", "ok")


def _owner(users: list[MailUser], email: str) -> MailUser | None:
    """The tenant's user for an inventory address: by address, else by nickname on the initial domain (renamed)."""
    for user in users:
        if email in (user.user_principal_name, user.mail, *user.addresses):
            return user
    local = email.split("@", 1)[0]
    for user in users:
        if (user.mail_nickname or "").lower() == local and is_under(user.user_principal_name.split("@")[-1],
                                                                      ONMICROSOFT):
            return user
    return None


def _mailboxes(run: _Run, graph: GraphClient, emails: list[str], found: dict[str, MailUser]) -> None:
    users = list_mail_users(graph)
    for email in emails:
        user = _owner(users, email)
        if user is None:
            run.add("mailbox", "broken", f"{email} is not a user of the tenant: run up to create it", email)
            continue
        found[email] = user
        run.add("mailbox", "ok", mailbox=email)
        if user.account_enabled:
            run.add("account-enabled", "ok", mailbox=email)
        else:
            run.add("account-enabled", "broken", f"sign-in of {email} is blocked (accountEnabled false), which "
                                                 "coldfleet never sets: find out who blocked it before `up` "
                                                 "re-enables it", email)
        initial = [f"{what} {value}" for what, value in (("userPrincipalName", user.user_principal_name),
                                                         ("primary SMTP address", user.primary_smtp))
                   if value and is_under(value.split("@")[-1], ONMICROSOFT)]
        if initial:
            run.add("custom-domain-address", "broken", f"{email}: {' and '.join(initial)} on {ONMICROSOFT} (capped "
                                                       "at 100 external recipients a day): run up", email)
        else:
            run.add("custom-domain-address", "ok", mailbox=email)


def _consent(run: _Run, ctx: HealthContext, graph: GraphClient) -> None:
    app = ctx.spec.defaults.sequencer_app_id
    if ctx.spec.defaults.sending != "oauth" or not app:
        return  # nothing to hold: the password path, or no sequencer app declared
    missing = sorted(set(SEQUENCER_SCOPES) - set(graph.consent_scopes(app, EXCHANGE_ONLINE_APP_ID)))
    if missing:
        run.add("sequencer-consent", "broken", f"the sequencer app {app} lacks tenant-wide consent for "
                                               f"{', '.join(missing)} on Exchange Online: run up to grant it")
    else:
        run.add("sequencer-consent", "ok")


def planned_today(ctx: HealthContext, tenant_id: str) -> int:
    """External recipients the ramp plans today for every active domain of the spec living in `tenant_id`."""
    total = 0
    for d in ctx.spec.live_domains():
        entry = ctx.inventory.get(d.name)
        if isinstance(entry, dict) and entry.get("tenant_id") == tenant_id:
            total += ctx.spec.mailbox_count(d) * domain_daily_limit(ctx.spec, d, ctx.today)
    return total


def _terrl(run: _Run, ctx: HealthContext, graph: GraphClient, tenant_id: str) -> None:
    licences = sum(sku.enabled for sku in graph.subscribed_skus())
    trial, headroom = ctx.spec.tenant.trial, ctx.spec.tenant.outbound_headroom
    limit = terrl(licences, trial)
    allowed = int(limit * (1 - headroom))
    planned = planned_today(ctx, tenant_id)
    what = (f"{planned:,} external recipients a day planned today in the tenant, whose outbound limit is "
            f"{limit:,} ({'trial' if trial else f'{licences} licence(s)'})")
    if planned > limit:
        run.add("terrl", "worn", f"{what}: past it Microsoft blocks the tenant's outbound mail; lower the ramp")
    elif planned > allowed:
        run.add("terrl", "watch", f"{what}, above the {headroom:.0%} headroom ({allowed:,})")
    else:
        run.add("terrl", "ok", what)


def _restricted(run: _Run, exchange: ExchangeClient, emails: list[str], users: dict[str, MailUser]) -> None:
    blocked = {b.address: b for b in exchange.blocked_senders()}
    for email in emails:
        user = users.get(email)
        addresses = {email, *(user.addresses if user else ()), *((user.user_principal_name,) if user else ())}
        hit = next((blocked[a] for a in sorted(addresses) if a in blocked), None)
        if hit is None:
            run.add("restricted-sender", "ok", mailbox=email)
        else:
            run.add("restricted-sender", "worn", f"Exchange restricted {email} from sending since {hit.created or '?'}"
                                                 f" ({hit.reason or 'no reason given'}): find the cause before "
                                                 "asking Microsoft to lift it", email)
