"""The `coldfleet` command: drives the Pulumi engine through the Automation API with an inline program."""
