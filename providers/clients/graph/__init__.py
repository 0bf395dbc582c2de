"""Microsoft Graph v1.0 through the official msgraph-sdk: domains, users, licences, mailbox settings, photos,
admin consent, app permissions, GDAP, $batch. `GraphClient` is the face; the models are what its methods return."""

from providers.clients.graph.access import GdapRelationship
from providers.clients.graph.client import GraphClient, SubscribedSku
from providers.clients.graph.consent import ALL_PRINCIPALS, EXCHANGE_ONLINE_APP_ID
from providers.clients.graph.domains import GraphDomain, ServiceRecord
from providers.clients.graph.users import GraphUser

__all__ = ["ALL_PRINCIPALS", "EXCHANGE_ONLINE_APP_ID", "GdapRelationship", "GraphClient", "GraphDomain", "GraphUser",
           "ServiceRecord", "SubscribedSku"]
