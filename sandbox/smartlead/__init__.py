"""Smartlead API v1 double: email accounts (save, list, get, update, warmup, suspend, unsuspend, delete)."""

from sandbox.smartlead.app import create_app

__all__ = ["create_app"]
