"""Plain text (.txt, .md): decoding bytes into text.

The split into paragraphs and Markdown headings is `retrieval.ingest`'s, as
for every format.
"""

from __future__ import annotations

import codecs
import unicodedata

from ..errors import InputError
from . import Block, Extracted

# Byte-order marks, longest first: a UTF-32 LE mark starts like a UTF-16 one.
_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]


def read_text(data: bytes, source: str, encoding: str = "auto") -> Extracted:
    return Extracted((Block(decode_text(data, encoding=encoding, source=source), level=None),))


def decode_text(data: bytes, *, encoding: str = "auto", source: str = "input") -> str:
    """Decode bytes as text, refusing binary data with a clear message.

    A named encoding is used as named, and a byte-order mark names one too
    (UTF-16 text is full of NUL bytes, so the binary check comes after
    decoding, never before). Otherwise "auto" tries UTF-8 first (it rarely
    decodes anything else by accident), then GB18030, which covers GBK and
    GB2312 files common for Chinese text.
    """
    if encoding == "auto":
        bom = next((name for mark, name in _BOMS if data.startswith(mark)), None)
        if bom:
            candidates = [bom]
        elif b"\x00" in data[:8192]:
            raise InputError(f"{source}: not a text file (it contains binary data)")
        else:
            candidates = ["utf-8-sig", "gb18030"]
    else:
        candidates = [encoding]
    for candidate in candidates:
        try:
            text = data.decode(candidate)
        except LookupError:
            raise InputError(f"{source}: unknown encoding {candidate!r}") from None
        except UnicodeDecodeError:
            continue
        if _looks_binary(text):
            break
        text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
        if not text.strip():
            raise InputError(f"{source}: the document is empty")
        return text
    hint = "" if encoding != "auto" else " (or name its encoding with --encoding)"
    raise InputError(f"{source}: not a text file, or not in a supported encoding{hint}")


def _looks_binary(text: str) -> bool:
    sample = text[:8192]
    controls = sum(1 for c in sample if unicodedata.category(c) == "Cc" and c not in "\n\r\t\f")
    return controls > max(2, len(sample) // 100)
