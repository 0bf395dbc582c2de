"""Mailbox passwords: long, random, and acceptable to Microsoft Entra and to every sequencer import.

Entra requires 8–256 characters from at least three of four classes (upper, lower, digit, symbol). We always use all
four and a symbol set that survives CSV files, shells and SMTP/IMAP credential fields (no comma, quotes, backslash,
space, semicolon or angle brackets).
"""

from __future__ import annotations

import secrets
import string

SYMBOLS = "!#$%*+-.=?@^_"
ALPHABET = string.ascii_letters + string.digits + SYMBOLS
MIN_LENGTH = 20
DEFAULT_LENGTH = 24
CLASSES = (string.ascii_uppercase, string.ascii_lowercase, string.digits, SYMBOLS)


def generate(length: int = DEFAULT_LENGTH) -> str:
    """A random password with at least one character of each class."""
    if length < MIN_LENGTH or length > 256:
        raise ValueError(f"password length must be between {MIN_LENGTH} and 256")
    while True:
        candidate = "".join(secrets.choice(ALPHABET) for _ in range(length))
        if meets_complexity(candidate, classes=4):
            return candidate


def meets_complexity(password: str, classes: int = 3) -> bool:
    """Entra's rule: 8–256 characters from at least `classes` of the four classes (we ask for all four)."""
    if not 8 <= len(password) <= 256:
        return False
    return sum(any(c in cls for c in password) for cls in CLASSES) >= classes
