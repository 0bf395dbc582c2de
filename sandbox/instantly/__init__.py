"""Instantly API v2 double: email accounts (create, list, get, patch, delete, pause, resume) and daily analytics."""

from sandbox.instantly.app import create_app

__all__ = ["create_app"]
