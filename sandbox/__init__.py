"""The local world: BIND9 plus HTTPS doubles of Microsoft identity, Graph, Exchange, Partner Center, Cloudflare and
Name.com, launched by `python -m sandbox serve --dir DIR` (see sandbox.server)."""
