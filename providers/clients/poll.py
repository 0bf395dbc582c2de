"""The one wait: call something until it has an answer or the settings' poll timeout has passed.

Microsoft is eventually consistent everywhere coldfleet waits (a licence's SKU, a provisioned mailbox, a domain it
can verify, DKIM CNAMEs it can see), and so is Cloudflare's proxied edge; one helper keeps the timing and the message
on timeout the same for all. It lives in providers.clients, importing only the bottom layer, so clients can use it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from providers.clients.errors import NotReady
from providers.config import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")


def until_found(settings: Settings, what: str, fetch: Callable[[], T | None], *, missing: str = "not there yet",
                next_step: str = "run `up` again") -> T:
    """`fetch()` until it returns something other than None; NotReady naming `what`, `missing` and `next_step`."""
    return until_ready(settings, what, lambda: _found(fetch, missing), next_step=next_step)


def _found(fetch: Callable[[], T | None], missing: str) -> T:
    value = fetch()
    if value is None:
        raise NotReady(missing, api="coldfleet")
    return value


def until_ready(settings: Settings, what: str, attempt: Callable[[], T], *, next_step: str = "run `up` again") -> T:
    """`attempt()` until it stops raising NotReady; on timeout NotReady with the last reason and `next_step`."""
    deadline = time.monotonic() + settings.poll_timeout_s
    waited = False
    while True:
        try:
            return attempt()
        except NotReady as error:
            if time.monotonic() + settings.poll_interval_s > deadline:
                raise NotReady(f"{what}: not ready after {settings.poll_timeout_s:g}s ({error.args[0]}); {next_step}",
                               api=error.api, code=error.code) from None
            if not waited:
                log.info("%s: waiting up to %gs (%s)", what, settings.poll_timeout_s, error.args[0])
                waited = True
            time.sleep(settings.poll_interval_s)
