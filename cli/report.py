"""What a user sees of an engine run: the engine's own diff and progress, then one line per failure.

The engine prints each failure's whole text in its "Diagnostics:" section; for a provider exception that text is
the provider process's Python traceback. Unless `--verbose`, that section is held back and the CLI prints, per
failed resource, the line the providers raise for users (`coldfleet: <Type> <key>: [api status code] ... Next: ...`),
or the exception's own text when a failure did not come from our providers; they take the Diagnostics section's
place on stdout, and stderr says how many failed. Provider warnings reach the console
through the progress lines (the engine forwards the provider process's stderr, see `providers.log`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from pulumi.automation import events

USER_PREFIX = "coldfleet: "
UNHANDLED = "an unhandled error occurred: "
TRACEBACK = "Traceback (most recent call last)"
# The engine's own verdicts, said once more after the resource's error: they add nothing to the failure lines.
VERDICTS = {"update failed", "preview failed", "destroy failed", "refresh failed"}


def _exception_text(lines: list[str]) -> str:
    """The last exception's own text in a Python traceback (its frames are the indented lines), as one line."""
    start = max(i for i, line in enumerate(lines) if line.startswith(TRACEBACK))
    text = [line.strip() for line in lines[start + 1 :] if line.strip() and not line.startswith((" ", "\t"))]
    return " ".join(text)


def failure_line(message: str) -> str:
    """What a user needs from an error diagnostic's text: our line, an exception's own text, or a RunError's text."""
    lines = message.splitlines()
    for line in lines:
        at = line.find(USER_PREFIX)
        if at >= 0:
            return line[at:].strip()
    if any(line.startswith(TRACEBACK) for line in lines):
        return _exception_text(lines)
    return message.strip().removeprefix(UNHANDLED)  # the program's own text (a RunError), whole


def _resource(urn: str | None) -> str:
    """`urn:pulumi:stack::project::parent$type::name` → `Type name` (the stack itself when the urn is empty)."""
    if not urn:
        return "program"
    parts = urn.split("::")
    return f"{parts[-2].split('$')[-1].rsplit(':', 1)[-1]} {parts[-1]}"


class EngineReport:
    """`on_output` and `on_event` for one engine run; `failures()` once it has ended."""

    def __init__(self, verbose: bool, echo: Callable[[str], None] = print) -> None:
        self.verbose = verbose
        self._echo = echo
        self._in_diagnostics = False
        self._lock = threading.Lock()
        self._failures: dict[str, list[str]] = {}

    def on_output(self, line: str) -> None:
        if not self.verbose and self._hidden(line):
            return
        self._echo(line)

    def _hidden(self, line: str) -> bool:
        if line.rstrip() == "Diagnostics:":
            self._in_diagnostics = True
            return True
        if self._in_diagnostics and line.strip() and not line.startswith(" "):
            self._in_diagnostics = False  # the next section ("Outputs:", "Resources:") begins
        return self._in_diagnostics or f"error: {TRACEBACK}" in line

    def on_event(self, event: events.EngineEvent) -> None:
        diagnostic = event.diagnostic_event
        if diagnostic is None or diagnostic.severity != "error":
            return
        text = diagnostic.message if self.verbose else failure_line(diagnostic.message)
        if not text or text.strip() in VERDICTS:
            return
        with self._lock:
            seen = self._failures.setdefault(_resource(diagnostic.urn), [])
            if text not in seen:
                seen.append(text)

    def failures(self) -> list[str]:
        """One entry per failed resource and message, each a line (the whole text with `--verbose`)."""
        with self._lock:
            found = [(where, text) for where, texts in self._failures.items() for text in texts]
        return [text if text.startswith(USER_PREFIX) else f"{where}: {text}" for where, text in found]
