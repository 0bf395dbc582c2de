"""Domain names as coldfleet spells them: one normalisation for the fleet spec and every provider.

IDNA 2008 with the UTS 46 mapping (the `idna` package), not Python's built-in `idna` codec (IDNA 2003): the two
disagree on names such as `straße.de` (2003 maps ß to "ss", 2008 keeps it as `xn--strae-oqa.de`), and a spec that
validated one name must not reach a provider that computes another.
"""

from __future__ import annotations

import re
from typing import Annotated

import idna
from pydantic import AfterValidator

_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")


def normalise_domain(value: str) -> str:
    """Lowercase ASCII (IDN → punycode via IDNA 2008/UTS 46), no trailing dot, valid LDH labels."""
    name = value.strip().rstrip(".")
    try:
        name = idna.encode(name, uts46=True).decode("ascii").lower()
    except idna.IDNAError as error:
        raise ValueError(f"{value!r} is not a valid domain name ({error})") from None
    labels = name.split(".")
    if len(labels) < 2:
        raise ValueError(f"{value!r} needs at least two labels")
    if len(name) > 253 or not all(_LABEL.fullmatch(label) for label in labels) or labels[-1].isdigit():
        raise ValueError(f"{value!r} is not a valid domain name")
    return name


def is_under(name: str, parent: str) -> bool:
    """`name` is `parent` or a subdomain of it (both normalised)."""
    return name == parent or name.endswith("." + parent)


DomainName = Annotated[str, AfterValidator(normalise_domain)]
