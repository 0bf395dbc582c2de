"""M365Tenant, the folder's face: `providers.m365_tenant.M365TenantProvider` and `.M365Tenant` are the paths the
engine's state holds (pickled by reference), so they stay importable from here.

Rooms: args.py (what is declared), provider.py (the lifecycle), partner.py (Partner Center: customer, MCA, seats),
tenant_settings.py (security defaults, SMTP AUTH, sequencer consent), access.py (app permissions, GDAP).
"""

from providers.clients.graph import EXCHANGE_ONLINE_APP_ID
from providers.m365_tenant.args import M365TenantArgs
from providers.m365_tenant.provider import GRAPH_PERMISSIONS, M365TenantProvider
from providers.m365_tenant.resource import M365Tenant

M365TenantProvider.__module__ = __name__  # new states pickle the face's path too, so the rooms may move

__all__ = ["EXCHANGE_ONLINE_APP_ID", "GRAPH_PERMISSIONS", "M365Tenant", "M365TenantArgs", "M365TenantProvider"]
