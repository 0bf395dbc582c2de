"""Exchange Online state and cmdlets over the shared World: DKIM signing configs and SMTP AUTH switches.

Cmdlets take PowerShell-style parameters (names case-insensitive, booleans as JSON or "$true"/"True" strings) and
return lists of plain dicts, as the admin API serialises cmdlet output. Failures raise `CmdletError`.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sandbox.exchange import errors, restricted
from sandbox.world import DkimConfig, Dns, Tenant, User, World

Params = dict[str, Any]
WRITE_PREFIXES = ("New-", "Set-", "Remove-", "Enable-", "Disable-")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _bool(cmdlet: str, name: str, value: Any, *, nullable: bool = False) -> bool | None:
    if value is None and nullable:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower().lstrip("$") in {"true", "false"}:
        return value.strip().lower().lstrip("$") == "true"
    raise errors.bad_parameter(cmdlet, f"Cannot process argument transformation on parameter '{name}'. "
                                       f"Cannot convert value \"{value}\" to type \"System.Boolean\".")


def _param(params: Params, name: str) -> tuple[bool, Any]:
    """(present, value) for a case-insensitive parameter name."""
    for key, value in params.items():
        if key.lower() == name.lower():
            return True, value
    return False, None


def _required(cmdlet: str, params: Params, name: str) -> Any:
    present, value = _param(params, name)
    if not present or value in (None, ""):
        raise errors.bad_parameter(cmdlet, f"Cannot bind argument to parameter '{name}' because it is null.")
    return value


def selector_target(n: int, domain: str, tenant: Tenant) -> str:
    """The 2025 form: selector1-<domain-with-dashes>._domainkey.<prefix>.<partition>-v1.dkim.mail.microsoft."""
    prefix = tenant.initial_domain.split(".", 1)[0]
    partition = tenant.dkim_partition or "n"
    return f"selector{n}-{domain.replace('.', '-')}._domainkey.{prefix}.{partition}-v1.dkim.mail.microsoft"


class ExchangeBackend:
    """The cmdlets. One instance per app; every method runs under `world.lock` where it mutates."""

    def __init__(self, world: World, dns: Dns) -> None:
        self.world = world
        self.dns = dns
        self.cmdlets: dict[str, Callable[[Tenant, Params], list[dict[str, Any]]]] = {
            "new-dkimsigningconfig": self.new_dkim_signing_config,
            "get-dkimsigningconfig": self.get_dkim_signing_config,
            "set-dkimsigningconfig": self.set_dkim_signing_config,
            "get-casmailbox": self.get_cas_mailbox,
            "set-casmailbox": self.set_cas_mailbox,
            "get-transportconfig": self.get_transport_config,
            "set-transportconfig": self.set_transport_config,
            "get-mailbox": self.get_mailbox,
            **restricted.cmdlets(world),
        }
        self.warnings: list[str] = []  # warnings of the cmdlet being run (reset per call)

    def run(self, tenant: Tenant, cmdlet: str, params: Params) -> tuple[list[dict[str, Any]], list[str]]:
        handler = self.cmdlets.get(cmdlet.lower())
        if handler is None:
            raise errors.unknown_cmdlet(cmdlet)
        with self.world.lock:
            self.warnings = []
            return handler(tenant, params), list(self.warnings)

    @staticmethod
    def is_write(cmdlet: str) -> bool:
        return cmdlet.lower().startswith(tuple(p.lower() for p in WRITE_PREFIXES))

    # -- DKIM ----------------------------------------------------------------------------------------------------

    def _cnames_visible(self, domain: str, cfg: DkimConfig) -> bool:
        for n, target in ((1, cfg.selector1_cname), (2, cfg.selector2_cname)):
            answers = [a.lower().rstrip(".") for a in self.dns.query(f"selector{n}._domainkey.{domain}", "CNAME")]
            if target.lower() not in answers:
                return False
        return True

    def _initial_config(self, tenant: Tenant) -> DkimConfig:
        """The initial domain signs by default with selectors in onmicrosoft.com (never stored)."""
        d = tenant.initial_domain
        prefix = d.split(".", 1)[0]
        return DkimConfig(domain=d, enabled=True,
                          selector1_cname=f"selector1-{d.replace('.', '-')}._domainkey.{prefix}.onmicrosoft.com",
                          selector2_cname=f"selector2-{d.replace('.', '-')}._domainkey.{prefix}.onmicrosoft.com")

    def _dkim_row(self, tenant: Tenant, cfg: DkimConfig, *, initial: bool = False) -> dict[str, Any]:
        if cfg.enabled:
            status = "Valid"
        else:
            status = "Valid" if not initial and self._cnames_visible(cfg.domain, cfg) else "CnameMissing"
        key_size = cfg.key_size
        return {
            "Domain": cfg.domain,
            "Identity": cfg.domain,
            "Name": cfg.domain,
            "Id": cfg.domain,
            "Guid": str(uuid.uuid5(uuid.NAMESPACE_DNS, f"{tenant.id}/{cfg.domain}")),
            "Enabled": cfg.enabled,
            "Status": status,
            "Selector1CNAME": cfg.selector1_cname,
            "Selector2CNAME": cfg.selector2_cname,
            "Selector1KeySize": key_size,
            "Selector2KeySize": key_size,
            "KeySize": key_size,
            "Algorithm": "RSA",
            "BodyCanonicalization": "Relaxed",
            "HeaderCanonicalization": "Relaxed",
            "IsDefault": initial,
            "IsValid": True,
            "SelectorBeforeRotateOnDate": "selector2",
            "SelectorAfterRotateOnDate": "selector1",
            "LastChecked": _now(),
        }

    def _find_dkim(self, tenant: Tenant, identity: str) -> tuple[DkimConfig, bool]:
        name = identity.strip().lower().rstrip(".")
        if name == tenant.initial_domain.lower():
            return self._initial_config(tenant), True
        cfg = tenant.dkim.get(name)
        if cfg is None:
            raise errors.not_found(identity)
        return cfg, False

    def new_dkim_signing_config(self, tenant: Tenant, params: Params) -> list[dict[str, Any]]:
        cmdlet = "New-DkimSigningConfig"
        domain = str(_required(cmdlet, params, "DomainName")).strip().lower().rstrip(".")
        enabled = _bool(cmdlet, "Enabled", _required(cmdlet, params, "Enabled"))
        present, raw_size = _param(params, "KeySize")
        key_size = int(raw_size) if present and raw_size is not None else 2048
        if key_size not in (1024, 2048):
            raise errors.bad_parameter(cmdlet, f"Cannot validate argument on parameter 'KeySize'. {key_size} "
                                               "is not one of 1024, 2048.")
        dom = tenant.domains.get(domain)
        if dom is None or not dom.is_verified or dom.is_initial or domain == tenant.initial_domain.lower():
            raise errors.not_found(domain)
        if domain in tenant.dkim:
            raise errors.already_exists(f"A DKIM signing configuration already exists for domain '{domain}'.")
        cfg = DkimConfig(domain=domain, selector1_cname=selector_target(1, domain, tenant),
                         selector2_cname=selector_target(2, domain, tenant), enabled=False, key_size=key_size)
        tenant.dkim[domain] = cfg
        if enabled:
            if self._cnames_visible(domain, cfg):
                cfg.enabled = True
            else:
                self.warnings.append(self._cname_missing_text(cfg))
        return [self._dkim_row(tenant, cfg)]

    def get_dkim_signing_config(self, tenant: Tenant, params: Params) -> list[dict[str, Any]]:
        present, identity = _param(params, "Identity")
        if present and identity:
            cfg, initial = self._find_dkim(tenant, str(identity))
            return [self._dkim_row(tenant, cfg, initial=initial)]
        rows = [self._dkim_row(tenant, self._initial_config(tenant), initial=True)]
        rows += [self._dkim_row(tenant, cfg) for _, cfg in sorted(tenant.dkim.items())]
        return rows

    @staticmethod
    def _cname_missing_text(cfg: DkimConfig) -> str:
        return (
            "CNAME record does not exist for this config. Please publish the following two CNAME records first.\r\n"
            f"Domain Name : {cfg.domain}\r\n"
            f"Host Name : selector1._domainkey\r\nPoints to address or value: {cfg.selector1_cname}\r\n"
            f"Host Name : selector2._domainkey\r\nPoints to address or value: {cfg.selector2_cname}\r\n"
            "If you have already published the CNAME records, sync will take a few minutes to as many as 4 days. "
            "Return and retry this step later."
        )

    def set_dkim_signing_config(self, tenant: Tenant, params: Params) -> list[dict[str, Any]]:
        cmdlet = "Set-DkimSigningConfig"
        cfg, initial = self._find_dkim(tenant, str(_required(cmdlet, params, "Identity")))
        present, raw = _param(params, "Enabled")
        if not present or initial:
            return []
        enabled = _bool(cmdlet, "Enabled", raw)
        if enabled and not cfg.enabled and not self._cnames_visible(cfg.domain, cfg):
            raise errors.validation(self._cname_missing_text(cfg))
        cfg.enabled = bool(enabled)
        return []

    # -- mailboxes -----------------------------------------------------------------------------------------------

    @staticmethod
    def _has_mailbox(user: User) -> bool:
        return user.deleted_at is None and user.mailbox_ready_at is not None and user.mailbox_ready_at <= time.time()

    def _mailboxes(self, tenant: Tenant) -> list[User]:
        return sorted((u for u in tenant.users.values() if self._has_mailbox(u)),
                      key=lambda u: u.user_principal_name.lower())

    def _find_mailbox(self, tenant: Tenant, identity: str) -> User:
        wanted = identity.strip().lower()
        for user in self._mailboxes(tenant):
            if wanted in (user.user_principal_name.lower(), user.id.lower(), user.mail_nickname.lower()):
                return user
        raise errors.not_found(identity)

    @staticmethod
    def _cas_row(user: User) -> dict[str, Any]:
        return {
            "Identity": user.mail_nickname,
            "Name": user.mail_nickname,
            "DisplayName": user.display_name,
            "PrimarySmtpAddress": user.user_principal_name,
            "ExternalDirectoryObjectId": user.id,
            "Guid": str(uuid.uuid5(uuid.NAMESPACE_URL, user.id)),
            "SmtpClientAuthenticationDisabled": user.smtp_client_auth_disabled,
            "ImapEnabled": True,
            "PopEnabled": True,
            "MAPIEnabled": True,
            "OWAEnabled": True,
            "EwsEnabled": True,
            "ActiveSyncEnabled": True,
        }

    def get_cas_mailbox(self, tenant: Tenant, params: Params) -> list[dict[str, Any]]:
        present, identity = _param(params, "Identity")
        if present and identity:
            return [self._cas_row(self._find_mailbox(tenant, str(identity)))]
        return [self._cas_row(u) for u in self._mailboxes(tenant)]

    def set_cas_mailbox(self, tenant: Tenant, params: Params) -> list[dict[str, Any]]:
        cmdlet = "Set-CASMailbox"
        user = self._find_mailbox(tenant, str(_required(cmdlet, params, "Identity")))
        present, raw = _param(params, "SmtpClientAuthenticationDisabled")
        if present:
            user.smtp_client_auth_disabled = _bool(cmdlet, "SmtpClientAuthenticationDisabled", raw, nullable=True)
        return []

    def get_mailbox(self, tenant: Tenant, params: Params) -> list[dict[str, Any]]:
        present, identity = _param(params, "Identity")
        users = [self._find_mailbox(tenant, str(identity))] if present and identity else self._mailboxes(tenant)
        return [
            {
                "Identity": u.mail_nickname,
                "Name": u.mail_nickname,
                "Alias": u.mail_nickname,
                "DisplayName": u.display_name,
                "UserPrincipalName": u.user_principal_name,
                "PrimarySmtpAddress": u.user_principal_name,
                "ExternalDirectoryObjectId": u.id,
                "RecipientTypeDetails": "UserMailbox",
                "Guid": str(uuid.uuid5(uuid.NAMESPACE_URL, u.id)),
            }
            for u in users
        ]

    # -- transport config ----------------------------------------------------------------------------------------

    def get_transport_config(self, tenant: Tenant, params: Params) -> list[dict[str, Any]]:
        return [{
            "Identity": "Transport Settings",
            "Name": "Transport Settings",
            "SmtpClientAuthenticationDisabled": tenant.smtp_client_auth_disabled,
            "AllowLegacyTLSClients": False,
            "OrganizationId": tenant.initial_domain,
        }]

    def set_transport_config(self, tenant: Tenant, params: Params) -> list[dict[str, Any]]:
        present, raw = _param(params, "SmtpClientAuthenticationDisabled")
        if present:
            tenant.smtp_client_auth_disabled = bool(_bool("Set-TransportConfig", "SmtpClientAuthenticationDisabled",
                                                          raw))
        return []
