"""DomainMailboxes, the folder's face: `providers.domain_mailboxes.DomainMailboxesProvider` and `.DomainMailboxes`
are the paths the engine's state holds (pickled by reference), so they stay importable from here.

Rooms: args.py (what is declared), provider.py (the lifecycle and why it is shaped so), finish.py (the one wait and
the batched writes).
"""

from providers.domain_mailboxes.args import DomainMailboxesArgs, Pending
from providers.domain_mailboxes.provider import DomainMailboxesProvider
from providers.domain_mailboxes.resource import DomainMailboxes

DomainMailboxesProvider.__module__ = __name__  # new states pickle the face's path too, so the rooms may move

__all__ = ["DomainMailboxes", "DomainMailboxesArgs", "DomainMailboxesProvider", "Pending"]
