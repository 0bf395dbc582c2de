"""Cloudflare API v4 double (zones, DNS records) writing through to the sandbox's BIND."""

from sandbox.cloudflare.app import create_app
from sandbox.cloudflare.backend import state_view

__all__ = ["create_app", "state_view"]
