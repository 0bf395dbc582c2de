"""EmailBison API double: sender emails (list, show, IMAP/SMTP create, CSV bulk create, update, delete)."""

from sandbox.emailbison.app import create_app

__all__ = ["create_app"]
