"""What a sequencer's connection test would find when it signs in to a Microsoft 365 mailbox over SMTP AUTH.

Both sequencer doubles test the credentials they are given against the world, as the real services test SMTP and
IMAP before saving an account: the mailbox must exist with its Exchange mailbox ready, the password must match and
SMTP AUTH must be on for it (the mailbox setting, else the tenant's `Set-TransportConfig` default).
"""

from __future__ import annotations

from sandbox.world import User, World


def find_user(world: World, email: str) -> User | None:
    address = email.strip().lower()
    for tenant in world.tenants.values():
        for user in tenant.users.values():
            if user.user_principal_name.lower() == address:
                return user
    return None


def login_problem(world: World, email: str, password: str | None) -> str | None:
    """None when SMTP and IMAP logins with `password` would succeed, else what the connection test reports."""
    with world.lock:
        tenant = next((t for t in world.tenants.values()
                       if any(u.user_principal_name.lower() == email.strip().lower() for u in t.users.values())),
                      None)
        user = find_user(world, email)
        if tenant is None or user is None or user.mailbox_ready_at is None or not user.account_enabled:
            return "535 5.7.139 Authentication unsuccessful, the user has no mailbox"
        if not password or user.password != password:
            return "535 5.7.3 Authentication unsuccessful"
        disabled = user.smtp_client_auth_disabled
        if disabled is None:
            disabled = tenant.smtp_client_auth_disabled
        if disabled:
            return "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant"
        return None
