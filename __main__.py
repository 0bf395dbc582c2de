"""Pulumi entry point for anyone with the usual Pulumi install (`pulumi up`).

The `coldfleet` CLI runs exactly the same function through the Automation API.
"""

from components.program import main

main()
