"""One module or folder per external API, all on one request path (`providers.clients.http`).

- `http/`: the retrying httpx transports and their one policy, TLS contexts, connection pools, app-only tokens,
  error mapping from responses. Every client's HTTP goes through it, the SDKs' too.
- `errors.py`: the one error tree (`[api status code] message`, plus `hint`: what to do next).
- `graph/` (msgraph-sdk), `exchange.py`, `partner_center.py`: Microsoft 365.
- `dns/`: the `DnsBackend` interface, its Cloudflare and RFC 2136 backends, the authoritative checks.
- `registrar.py`: the `Registrar` interface and Name.com; a second registrar is a class beside `NameComRegistrar`,
  named in `registrar_for`. A second inbox backend (Google Workspace) is a new folder beside `graph/`.
"""
