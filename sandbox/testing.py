"""Old home of the sandbox handle, kept while tests outside tests/sandbox still import it: use sandbox.handle."""

from sandbox.handle import SandboxHandle

__all__ = ["SandboxHandle"]
