"""SendingDomain, the folder's face: `providers.sending_domain.SendingDomainProvider` and `.SendingDomain` are the
paths the engine's state holds (pickled by reference), so they stay importable from here.

Rooms: args.py (what is declared, the price and idempotency rules), provider.py (zone, registration, delegation).
A second registrar is a client module beside Name.com's behind `providers.clients.registrar.Registrar`.
"""

from providers.sending_domain.args import RegistrationRefused, SendingDomainArgs, idempotency_key
from providers.sending_domain.provider import SendingDomainProvider
from providers.sending_domain.resource import SendingDomain

SendingDomainProvider.__module__ = __name__  # new states pickle the face's path too, so the rooms may move

__all__ = ["RegistrationRefused", "SendingDomain", "SendingDomainArgs", "SendingDomainProvider", "idempotency_key"]
