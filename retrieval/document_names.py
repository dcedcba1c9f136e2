"""What a document may be called.

Names are what citations show, so one name must not pass for another:
invisible format characters (bidi overrides such as U+202E, zero-width
spaces and joiners, U+FEFF) can make `a\u202eb.txt` or `a\u200b.txt` read
like a different, innocent name, and are refused wherever a document comes in.
"""

from __future__ import annotations

import unicodedata

from .errors import InputError


def check_visible(name: str) -> str:
    """The name, or an InputError naming the first invisible character in it."""
    hidden = next((c for c in name if unicodedata.category(c) == "Cf"), None)
    if hidden is not None:
        raise InputError(
            f"the document name {name!r} contains an invisible character (U+{ord(hidden):04X}) "
            "that can make it look like another name; rename it"
        )
    return name
