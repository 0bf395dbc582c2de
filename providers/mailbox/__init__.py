"""Mailbox, the folder's face: `providers.mailbox.MailboxProvider` and `.Mailbox` are the paths the engine's state
holds (pickled by reference), so they stay importable from here."""

from providers.mailbox.args import LOCAL_PART, MARKER, MailboxArgs
from providers.mailbox.provider import MailboxProvider
from providers.mailbox.resource import Mailbox

MailboxProvider.__module__ = __name__  # new states pickle the face's path too, so the rooms may move

__all__ = ["LOCAL_PART", "MARKER", "Mailbox", "MailboxArgs", "MailboxProvider"]
