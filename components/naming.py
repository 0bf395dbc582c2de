"""Mailbox names: which characters a persona's name may hold, its local parts, and a tenant's domain prefix.

The rules that refuse a name and the ones that generate local parts from it live together, so the spec can never
accept a name that would quietly lose characters on the way to a mailbox. This module takes anything persona-shaped
(`PersonaLike`) and never imports the spec.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Protocol

_TRANSLIT = {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "æ": "ae", "ø": "oe", "å": "aa", "œ": "oe", "þ": "th",
             "ð": "d", "ł": "l", "đ": "d", "ı": "i"}
# What people write between and inside name parts; it never reaches the mailbox name (ASCII and typographic forms).
_SEPARATORS = frozenset("-.'\u2019\u02bc\u2010\u2011")


class PersonaLike(Protocol):
    """Whatever names a mailbox: the spec's Persona, or a future rotation's replacement persona."""

    @property
    def first(self) -> str: ...
    @property
    def last(self) -> str: ...
    @property
    def photo(self) -> str | None: ...


def ascii_part(name: str) -> str:
    """Lowercase ASCII letters and digits of a name part: ä→ae, ß→ss, é→e; everything else dropped."""
    text = unicodedata.normalize("NFC", name).lower()
    text = "".join(_TRANSLIT.get(ch, ch) for ch in text)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]", "", text)


def _holdable(ch: str) -> bool:
    """Letters that transliterate to ASCII, combining marks, spaces, hyphens, apostrophes and dots."""
    category = unicodedata.category(ch)
    if ch in _SEPARATORS or category == "Zs" or category.startswith("M"):
        return True
    return category.startswith("L") and bool(ascii_part(ch))


def name_problem(name: str) -> str | None:
    """Why a persona's name part cannot name a mailbox, or None: `ascii_part` would drop what a user meant."""
    bad = list(dict.fromkeys(ch for ch in unicodedata.normalize("NFC", name) if not _holdable(ch)))
    if bad:
        return f"{name!r} has characters a mailbox name cannot hold: {', '.join(map(repr, bad))}"
    if not ascii_part(name):
        return f"{name!r} has no ASCII letters or digits after transliteration"
    return None


_BASE_PATTERNS = (
    "{first}", "{first}.{last}", "{first}{last}", "{f}.{last}", "{first}.{l}", "{last}.{first}", "{f}{last}",
    "{first}{l}", "{last}", "{last}{first}", "{last}.{f}", "{first}_{last}", "{first}-{last}", "{last}{f}",
    "{f}_{last}", "{first}_{l}", "{last}_{first}", "{f}-{last}", "{first}-{l}", "{last}-{first}",
)
# A fixed list of 100: the 20 base patterns, then the same with 2..5 appended.
PATTERNS: tuple[str, ...] = _BASE_PATTERNS + tuple(p + str(n) for n in range(2, 6) for p in _BASE_PATTERNS)


@dataclass(frozen=True)
class MailboxPlan:
    """One mailbox to be: its local part and the persona it speaks as."""

    local_part: str
    first_name: str
    last_name: str
    photo: str | None = None

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


def local_parts(
    personas: Sequence[PersonaLike], count: int, retired: Collection[str] = ()
) -> list[MailboxPlan]:
    """Mailbox i: persona i % len(personas), pattern i // len(personas).

    Each entry depends only on the ones before it, so a larger count appends and a smaller one drops the last; a
    collision (two personas sharing a first name) takes the first free numeric suffix.

    `retired` local parts (worn mailboxes `coldfleet rotate` replaced) are skipped: each is replaced, in its place,
    by the same persona's next entry past `count` that is neither retired nor taken. Every other mailbox keeps its
    local part, so a replacement touches only the worn mailbox and its successor.
    """
    if not retired:
        return _sequence(personas, count)
    gone = set(retired)
    step = len(personas)
    plans = _sequence(personas, count + step * (len(gone) + 1))
    taken = {p.local_part for p in plans[:count]}
    out: list[MailboxPlan] = []
    for i, plan in enumerate(plans[:count]):
        if plan.local_part not in gone:
            out.append(plan)
            continue
        j = count + (i - count) % step  # the same persona's first entry past count
        while j < len(plans) and (plans[j].local_part in gone or plans[j].local_part in taken):
            j += step
        if j >= len(plans):  # pragma: no cover - the sequence above is long enough by construction
            raise ValueError(f"no replacement local part left for {plan.local_part!r}")
        taken.add(plans[j].local_part)
        out.append(plans[j])
    return out


def _sequence(personas: Sequence[PersonaLike], count: int) -> list[MailboxPlan]:
    out: list[MailboxPlan] = []
    used: set[str] = set()
    for i in range(count):
        persona = personas[i % len(personas)]
        first, last = ascii_part(persona.first), ascii_part(persona.last)
        pattern = PATTERNS[(i // len(personas)) % len(PATTERNS)]
        candidate = base = pattern.format(first=first, last=last, f=first[0], l=last[0])
        n = 2
        while candidate in used:
            candidate, n = f"{base}{n}", n + 1
        used.add(candidate)
        out.append(MailboxPlan(candidate, persona.first, persona.last, persona.photo))
    return out


PREFIX_MAX = 27


def domain_prefix(client: str, domain: str) -> str:
    """`<prefix>.onmicrosoft.com` for a partner-created tenant: ≤ 27 chars of [a-z0-9], stable per client + domain.

    Readable head (client + domain) plus a hash of both, so long names that share a head still differ.
    """
    digest = hashlib.sha256(f"{client}/{domain}".encode()).hexdigest()[:6]
    head = re.sub(r"[^a-z0-9]", "", f"{client}{domain}")
    return head[: PREFIX_MAX - len(digest)] + digest
