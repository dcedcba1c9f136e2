"""The one settings object.

Precedence, lowest first: `config/defaults.toml`, a TOML file named by
`CITEBOT_CONFIG`, environment variables (`CITEBOT_<SECTION>_<KEY>`), and
finally the overrides a front end passes in (its command-line flags).
Secrets come from the environment only, so they are never written into a
settings file by accident and never echoed by `repr`.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

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
    write_wait_seconds: float
    backend: str
    # May carry a password: kept out of repr, and messages name the database without it.
    postgres_url: str = field(default="", repr=False)


@dataclass(frozen=True)
class ModelSettings:
    name: str
    allow_download: bool
    cache_dir: Path
    batch_size: int
    runtime: str


@dataclass(frozen=True)
class IngestSettings:
    max_file_bytes: int
    encoding: str
    heading_max_chars: int
    split_overlap_sentences: int
    max_passages_per_document: int


@dataclass(frozen=True)
class SearchSettings:
    top_k: int
    candidates: int


@dataclass(frozen=True)
class AnswerSettings:
    max_question_chars: int
    quote_chars: int
    model: str


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
# Other CITEBOT_ variables citebot reads that are not settings: the config
# file itself, and the test suite's cache and crash-point hooks.
_OTHER_VARIABLES = {"CITEBOT_CONFIG", "CITEBOT_CACHE_DIR", "CITEBOT_TEST_PAUSE_AT"}
# Secrets have a key in a section but are never read from a file, so that a
# config file can be shared or committed without leaking them.
_SECRETS = {("telegram", "token"): "TELEGRAM_BOT_TOKEN", ("api", "token"): "CITEBOT_API_TOKEN"}


def load_settings(
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Merge defaults, the optional config file, the environment and overrides.

    A key, section or CITEBOT_ variable that citebot does not know is an
    error rather than ignored, so a typo never silently does nothing."""
    env = os.environ if environ is None else environ
    raw = _read_toml(DEFAULTS_FILE)
    # The defaults file lists every key a file or variable may set.
    known = {section: set(values) for section, values in raw.items()}
    if env.get("CITEBOT_CONFIG"):
        path = Path(env["CITEBOT_CONFIG"]).expanduser()
        config = _read_toml(path)
        _check_keys(config, known, f"in {path}")
        _merge(raw, config)
    _merge(raw, _from_environment(env, known))
    if overrides:
        given = {s: {k: v for k, v in kv.items() if v is not None} for s, kv in overrides.items()}
        _check_keys(given, {s: {f.name for f in fields(cls)} for s, cls in _SECTIONS.items()}, "in overrides")
        _merge(raw, given)
    return _build(raw)


def _read_toml(path: Path) -> dict[str, dict[str, Any]]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise SettingsError(f"config file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"config file {path} is not valid TOML: {exc}") from None


def _check_keys(new: Mapping[str, Any], known: Mapping[str, set[str]], where: str) -> None:
    for section, values in new.items():
        if section not in known:
            raise SettingsError(f"unknown section [{section}] {where}{_did_you_mean(section, known)}")
        if not isinstance(values, Mapping):
            raise SettingsError(f"[{section}] {where} must be a table of settings, not a single value")
        for key in values:
            if (section, key) in _SECRETS and key not in known[section]:
                raise SettingsError(
                    f"{section}.{key} {where}: secrets are read from the environment only; "
                    f"set {_SECRETS[section, key]} instead"
                )
            if key not in known[section]:
                raise SettingsError(
                    f"unknown setting {section}.{key} {where}{_did_you_mean(key, known[section])}"
                )


def _did_you_mean(name: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(candidates), n=1)
    return f" (did you mean {close[0]}?)" if close else ""


def _merge(into: dict[str, dict[str, Any]], new: Mapping[str, Mapping[str, Any]]) -> None:
    for section, values in new.items():
        into.setdefault(section, {}).update(values)


def _from_environment(env: Mapping[str, str], known: Mapping[str, set[str]]) -> dict:
    variables = {f"CITEBOT_{s.upper()}_{k.upper()}": (s, k) for s, keys in known.items() for k in keys}
    found: dict[str, dict[str, Any]] = {}
    for name, value in env.items():
        if name in variables:
            section, key = variables[name]
            found.setdefault(section, {})[key] = value
        elif name.startswith("CITEBOT_") and name not in _ALIASES and name not in _OTHER_VARIABLES:
            # CITEBOT_TELEGRAM_TOKEN reads like the bot token's variable, which it is not.
            secret = {f"CITEBOT_{s.upper()}_{k.upper()}": v for (s, k), v in _SECRETS.items()}.get(name)
            everything = [*variables, *_ALIASES, *_OTHER_VARIABLES]
            hint = f" (did you mean {secret}?)" if secret else _did_you_mean(name, everything)
            raise SettingsError(
                f"unknown environment variable {name}{hint}; config/defaults.toml lists the settings"
            )
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
    """Turn TOML values and environment strings into the declared type.

    A string is parsed (environment variables are nothing else); any other
    value must already have the declared type: TOML's `top_k = true` or
    `top_k = 2.5` is refused, not read as 1 or 2."""
    try:
        parse = _PARSERS[type_name]
    except KeyError:
        raise TypeError(f"setting {name} is declared as {type_name}, which _coerce cannot read") from None
    try:
        return parse(value)
    except (TypeError, ValueError):
        raise SettingsError(f"setting {name} has an unusable value {value!r} (expected {type_name})") from None


def _int(value: Any) -> int:
    if isinstance(value, str):
        return int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(value)
    return value


def _float(value: Any) -> float:
    if isinstance(value, str):
        return float(value.strip())
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(value)
    return float(value)


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if not isinstance(value, str):
        raise TypeError(value)
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(value)


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(value)
    return value


def _items(value: Any) -> list[Any]:
    """A TOML list, or a comma-separated environment string."""
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    if not isinstance(value, (list, tuple)):
        raise TypeError(value)
    return list(value)


_PARSERS: dict[str, Callable[[Any], Any]] = {
    "int": _int,
    "float": _float,
    "bool": _bool,
    "str": _str,
    "str | None": lambda value: None if value is None else (_str(value) or None),
    "Path": lambda value: Path(value if isinstance(value, os.PathLike) else _str(value)).expanduser(),
    "tuple[int, ...]": lambda value: tuple(_int(item) for item in _items(value)),
    "tuple[str, ...]": lambda value: tuple(_str(item) for item in _items(value)),
}
