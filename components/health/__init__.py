"""Day two: what the live signals say about each domain, the verdict, and the spec change that follows from it.

signals.py is the contract between the collectors (providers/clients/*, one room per source) and the verdict: every
check reports `Finding`s and numbers into one `DomainSignals` per domain; the verdict reads nothing else.
"""

from components.health.signals import DomainSignals, Finding, Level, MailboxNumbers

__all__ = ["DomainSignals", "Finding", "Level", "MailboxNumbers"]
