"""Domain-free text helpers. Text that may end up in a mail header (a subject, a display
name) must be one line: a CR or LF there would end the header and start another one
(`Bcc: ...`)."""

from __future__ import annotations

import re

# Everything `str.splitlines()` breaks on (the email package refuses those in a header value),
# plus the other C0/C1 control characters and tabs: none of them belongs in a name.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def single_line(value: str) -> str:
    """ "Eve\\r\\nBcc: x@evil" -> "Eve Bcc: x@evil": each run of control characters becomes
    one space. Text with none comes back untouched (the common case costs one search)."""
    if not _CONTROL.search(value):
        return value
    return _CONTROL.sub(" ", value).strip()
