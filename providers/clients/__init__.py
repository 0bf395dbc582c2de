"""Thin clients, one module per external API. Each maps HTTP/DNS failures to `errors.ClientError` subclasses."""
