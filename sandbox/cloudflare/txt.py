"""TXT content as Cloudflare takes it: RFC 1035 quoted character strings of at most 255 bytes each.

Quoted content with a string over 255 bytes is split; unquoted content is accepted and stored as given, with a
warning (the dashboard shows one; the API does not add the quotes itself).
"""

from __future__ import annotations

UNQUOTED_WARNING = ("The content field of TXT records must be in quotation marks. Cloudflare may add quotation marks "
                    "on your behalf, which will not affect how the record works.")


def _escape(data: bytes, i: int) -> tuple[bytes, int] | None:
    """The byte(s) of the escape at `data[i]` (a backslash) and the index after it; None when malformed."""
    digits = data[i + 1 : i + 4]
    if len(digits) == 3 and digits.isdigit():
        value = int(digits)
        return (bytes([value]), i + 4) if value <= 255 else None
    if i + 1 >= len(data):
        return None
    return data[i + 1 : i + 2], i + 2


def _quoted(data: bytes, i: int) -> tuple[bytes, int] | None:
    """The character string opening at `data[i]` (a quote) and the index after its closing quote; None if open."""
    buf = bytearray()
    i += 1
    while i < len(data):
        c = data[i : i + 1]
        if c == b'"':
            return bytes(buf), i + 1
        if c == b"\\":
            escaped = _escape(data, i)
            if escaped is None:
                return None
            chunk, i = escaped
            buf += chunk
            continue
        buf += c
        i += 1
    return None  # unterminated


def parse_strings(content: str) -> list[bytes] | None:
    """The character strings of quoted content, or None when the content is not (entirely) quoted strings."""
    data = content.encode("utf-8")
    out: list[bytes] = []
    i = 0
    while i < len(data):
        if data[i : i + 1].isspace():
            i += 1
            continue
        if data[i : i + 1] != b'"':
            return None
        parsed = _quoted(data, i)
        if parsed is None:
            return None
        string, i = parsed
        out.append(string)
    return out if out else None


def quote(strings: list[bytes]) -> str:
    parts = []
    for s in strings:
        chunk = []
        for b in s:
            if b in (0x22, 0x5C):
                chunk.append("\\" + chr(b))
            elif 0x20 <= b < 0x7F:
                chunk.append(chr(b))
            else:
                chunk.append(f"\\{b:03d}")
        parts.append('"' + "".join(chunk) + '"')
    return " ".join(parts)


def split255(strings: list[bytes]) -> list[bytes]:
    out: list[bytes] = []
    for s in strings:
        if not s:
            out.append(s)
        for i in range(0, len(s), 255):
            out.append(s[i : i + 255])
    return out


def normalize_txt(content: str) -> tuple[str, str | None]:
    """Stored content and an optional warning message."""
    strings = parse_strings(content)
    if strings is None:
        return content, UNQUOTED_WARNING
    if any(len(s) > 255 for s in strings):
        return quote(split255(strings)), None
    return content, None


def txt_text(content: str) -> str:
    """The full text a resolver sees once the strings are joined."""
    strings = parse_strings(content)
    if strings is None:
        return content
    return b"".join(strings).decode("utf-8", errors="replace")
