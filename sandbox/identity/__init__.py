"""The Microsoft identity platform double: OpenID discovery and the client-credentials token endpoint."""
