"""Whether a published RRset holds the values we want: one comparison for AuthRecords, WebRecords and health.

Order never matters in an RRset; names compare case-blind without the trailing dot and runs of whitespace inside
a value (MX `10  host`) count as one space. TXT values are compared exactly: their case and spacing are the record.
"""

from __future__ import annotations


def norm(rdtype: str, value: str) -> str:
    """A value as the comparison sees it (TXT untouched)."""
    return value if rdtype == "TXT" else " ".join(value.strip().rstrip(".").lower().split())


def same(rdtype: str, a: list[str] | tuple[str, ...], b: list[str] | tuple[str, ...]) -> bool:
    """Whether `a` and `b` hold the same values of `rdtype`, in any order."""
    return sorted(norm(rdtype, v) for v in a) == sorted(norm(rdtype, v) for v in b)
