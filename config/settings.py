"""The one settings object.

Precedence, lowest first: `config/defaults.toml`, a TOML file named by
`CITEBOT_CONFIG`, environment variables (`CITEBOT_<SECTION>_<KEY>`), and
finally the overrides a front end passes in (its command-line flags).
Secrets come from the environment only, so they are never written into a
settings file by accident and never echoed by `repr`.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping

DEFAULTS_FILE = Path(__file__).with_name("defaults.toml")


class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message names it."""


@dataclass(frozen=True)
class IndexSettings:
    dir: Path
    kind: str
    hnsw_m: int
    hnsw_ef_construction: int
    hnsw_ef_search: int
    keep_versions: int


@dataclass(frozen=True)
class ModelSettings:
    name: str
    allow_download: bool
    cache_dir: Path
    batch_size: int


@dataclass(frozen=True)
class IngestSettings:
    max_file_bytes: int
    encoding: str
    heading_max_chars: int
    split_overlap_sentences: int


@dataclass(frozen=True)
class SearchSettings:
    top_k: int
    candidates: int
    abstention_model: str


@dataclass(frozen=True)
class AnswerSettings:
    max_question_chars: int
    quote_chars: int


@dataclass(frozen=True)
class TelegramSettings:
    api_base_url: str
    allowed_user_ids: tuple[int, ...]
    allowed_chat_ids: tuple[int, ...]
    admin_user_ids: tuple[int, ...]
    rate_limit_per_minute: int
    max_question_chars: int
    workers: int
    token: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class ApiSettings:
    host: str
    port: int
    public_read: bool
    cors_origins: tuple[str, ...]
    max_body_bytes: int
    max_top_k: int
    token: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Settings:
    index: IndexSettings
    model: ModelSettings
    ingest: IngestSettings
    search: SearchSettings
    answer: AnswerSettings
    telegram: TelegramSettings
    api: ApiSettings

    def replace(self, section: str, **changes: Any) -> "Settings":
        """A copy with some keys of one section changed (used for flags)."""
        updated = dataclasses.replace(getattr(self, section), **changes)
        return dataclasses.replace(self, **{section: updated})


# Environment variables that are not of the CITEBOT_<SECTION>_<KEY> form,
# kept because users and platforms expect these exact names.
_ALIASES = {
    "CITEBOT_INDEX": ("index", "dir"),
    "TELEGRAM_BOT_TOKEN": ("telegram", "token"),
    "TELEGRAM_API_BASE_URL": ("telegram", "api_base_url"),
    "CITEBOT_API_TOKEN": ("api", "token"),
}


def load_settings(
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Merge defaults, the optional config file, the environment and overrides."""
    env = os.environ if environ is None else environ
    raw = _read_toml(DEFAULTS_FILE)
    if env.get("CITEBOT_CONFIG"):
        _merge(raw, _read_toml(Path(env["CITEBOT_CONFIG"]).expanduser()))
    _merge(raw, _from_environment(env, raw))
    if overrides:
        _merge(raw, {s: {k: v for k, v in kv.items() if v is not None} for s, kv in overrides.items()})
    return _build(raw)


def _read_toml(path: Path) -> dict[str, dict[str, Any]]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise SettingsError(f"config file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"config file {path} is not valid TOML: {exc}") from None


def _merge(into: dict[str, dict[str, Any]], new: Mapping[str, Mapping[str, Any]]) -> None:
    for section, values in new.items():
        into.setdefault(section, {}).update(values)


def _from_environment(env: Mapping[str, str], known: Mapping[str, Mapping[str, Any]]) -> dict:
    found: dict[str, dict[str, Any]] = {}
    for section, values in known.items():
        for key in values:
            name = f"CITEBOT_{section.upper()}_{key.upper()}"
            if name in env:
                found.setdefault(section, {})[key] = env[name]
    for name, (section, key) in _ALIASES.items():
        if env.get(name):
            found.setdefault(section, {})[key] = env[name]
    return found


_SECTIONS = {
    "index": IndexSettings,
    "model": ModelSettings,
    "ingest": IngestSettings,
    "search": SearchSettings,
    "answer": AnswerSettings,
    "telegram": TelegramSettings,
    "api": ApiSettings,
}


def _build(raw: Mapping[str, Mapping[str, Any]]) -> Settings:
    built = {}
    for section, cls in _SECTIONS.items():
        values = raw.get(section, {})
        kwargs = {}
        for f in fields(cls):
            if f.name not in values:
                if f.default is dataclasses.MISSING:
                    raise SettingsError(f"setting {section}.{f.name} is missing")
                continue
            kwargs[f.name] = _coerce(f"{section}.{f.name}", values[f.name], f.type)
        built[section] = cls(**kwargs)
    return Settings(**built)


def _coerce(name: str, value: Any, type_name: str) -> Any:
    """Turn TOML values and environment strings into the declared type."""
    try:
        if type_name == "Path":
            return Path(str(value)).expanduser()
        if type_name == "int":
            return int(value)
        if type_name == "bool":
            if isinstance(value, bool):
                return value
            lowered = str(value).strip().lower()
            if lowered in {"1", "true", "yes", "on"}:
                return True
            if lowered in {"0", "false", "no", "off", ""}:
                return False
            raise ValueError(value)
        if type_name.startswith("tuple["):
            items = value.split(",") if isinstance(value, str) else list(value)
            items = [str(i).strip() for i in items if str(i).strip()]
            return tuple(int(i) for i in items) if "int" in type_name else tuple(items)
        if type_name == "str | None":
            return str(value) if value not in (None, "") else None
        return str(value)
    except (TypeError, ValueError):
        raise SettingsError(f"setting {name} has an unusable value {value!r} (expected {type_name})") from None
