"""SequencerAccounts: the live domains' mailboxes as accounts in a sequencer (Instantly, Smartlead)."""

from providers.sequencer_accounts.resource import SequencerAccounts

__all__ = ["SequencerAccounts"]
