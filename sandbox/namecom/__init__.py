"""Name.com Core API v1 double (registrar): availability, registration, nameservers, autorenew."""

from sandbox.namecom.app import create_app
from sandbox.namecom.models import registered_nameservers, state_view

__all__ = ["create_app", "registered_nameservers", "state_view"]
