"""``load_settings``: read the TOML file, apply ``SYNCD_…`` overrides, resolve secrets,
validate, and report every problem at once, each naming its key (and line, where known).
"""

from __future__ import annotations

import copy
import difflib
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from pydantic_settings import SettingsError

from syncd.config.checks import KeyProblem, cross_check
from syncd.config.lines import KeyLines
from syncd.config.models import (
    HTTP_SECRET_FIELDS,
    PLATFORMS,
    STORE_SECRET_FIELDS,
    BigCommerceStore,
    GroupDefaults,
    GroupSettings,
    HttpSettings,
    LedgerSettings,
    LogSettings,
    MappingEnvSource,
    Settings,
    SfccStore,
    Shift4ShopStore,
)
from syncd.config.secrets import Resolution, resolve_secrets
from syncd.errors import ConfigError

DEFAULT_PATH = Path("/etc/syncd/syncd.toml")
ENV_PREFIX = "SYNCD_"
_SECRET_KEYS = frozenset((*STORE_SECRET_FIELDS, *HTTP_SECRET_FIELDS))
# The model behind each table name that can appear in an error location.
_TABLE_MODELS: dict[str, type[BaseModel]] = {
    "ledger": LedgerSettings,
    "http": HttpSettings,
    "log": LogSettings,
    "groups": GroupSettings,
    "defaults": GroupDefaults,
    "shift4shop": Shift4ShopStore,
    "bigcommerce": BigCommerceStore,
    "sfcc": SfccStore,
}
_MIN_SCRUB = 4  # shorter "secrets" would mangle messages; no message echoes a secret anyway


def config_path(path: str | Path | None, environ: Mapping[str, str]) -> Path:
    """The file to read: ``path``, else ``$SYNCD_CONFIG``, else /etc/syncd/syncd.toml."""
    return Path(path or environ.get("SYNCD_CONFIG") or DEFAULT_PATH)


def load_settings(path: str | Path | None, *, environ: Mapping[str, str] | None = None) -> Settings:
    """Load and validate the config; raise ``ConfigError`` listing every problem.

    ``environ`` (default ``os.environ``) supplies ``SYNCD_…`` overrides, ``{ env = ... }``
    secrets and ``$CREDENTIALS_DIRECTORY``.
    """
    env = os.environ if environ is None else environ
    file = config_path(path, env)
    text, mode = _read(file)
    data = _parse(text)
    overrides, from_env, env_problems = _env_overrides(env)
    problems: list[KeyProblem | str] = [*env_problems]
    merged = _deep_merge(data, overrides)
    secrets = resolve_secrets(merged, environ=env, file_mode=mode, from_env=from_env)
    problems += secrets.problems + _raw_cross_check(merged)
    settings, invalid = _validate(merged, secrets.reported)
    problems += invalid
    if problems or settings is None:
        raise ConfigError(_render(problems, KeyLines(text), from_env, secrets))
    settings._secret_origins.update(secrets.origins)
    return settings


def _read(file: Path) -> tuple[str, int]:
    try:
        return file.read_text(encoding="utf-8"), file.stat().st_mode
    except OSError as err:
        raise ConfigError([f"cannot read the config file: {err.strerror}"]) from err
    except UnicodeDecodeError as err:
        raise ConfigError(["the config file is not UTF-8 text"]) from err


def _parse(text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        # tomllib's message names the line and column, never a value.
        raise ConfigError([f"not valid TOML: {err}"]) from err


def _env_overrides(environ: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str], list[str]]:
    """(overrides as nested data, key path -> variable that set it, problems)."""
    try:
        overrides = MappingEnvSource(Settings, environ)()
    except SettingsError as err:
        # pydantic-settings names the field, not the variable; never quote the value.
        field = re.search(r'field "(\w+)"', str(err))
        variable = _variable_for(field.group(1), environ) if field else "a SYNCD_ variable"
        return {}, {}, [f"{variable}: a whole table must be given as JSON (it is not valid JSON)"]
    from_env = {key: _variable_for(key, environ) for key in _leaf_keys(overrides)}
    return overrides, from_env, []


def _leaf_keys(data: dict[str, Any], prefix: str = "") -> list[str]:
    keys: list[str] = []
    for name, value in data.items():
        key = f"{prefix}.{name}" if prefix else name
        keys += _leaf_keys(value, key) if isinstance(value, dict) and value else [key]
    return keys


def _variable_for(key: str, environ: Mapping[str, str]) -> str:
    """``http.listen`` -> ``SYNCD_HTTP__LISTEN`` (or ``SYNCD_HTTP`` if that set it as JSON)."""
    names = {name.upper(): name for name in environ}
    parts = key.upper().split(".")
    for end in range(len(parts), 0, -1):
        candidate = ENV_PREFIX + "__".join(parts[:end])
        if candidate in names:
            return names[candidate]
    return ENV_PREFIX + "__".join(parts)


def _deep_merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for name, value in top.items():
        if isinstance(value, dict) and isinstance(merged.get(name), dict):
            merged[name] = _deep_merge(merged[name], value)
        else:
            merged[name] = value
    return merged


def _raw_cross_check(data: dict[str, Any]) -> list[KeyProblem]:
    """Cross checks on the unvalidated data, so they are reported next to field errors."""
    stores = [s.get("name") for s in _tables(data.get("stores"))]
    groups = [(g.get("name"), _list(g.get("stores"))) for g in _tables(data.get("groups"))]
    return cross_check(stores, groups)


def _tables(value: Any) -> list[dict[str, Any]]:
    items = value if isinstance(value, list) else []
    return [item if isinstance(item, dict) else {} for item in items]


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _validate(data: dict[str, Any], reported: set[str]) -> tuple[Settings | None, list[KeyProblem]]:
    # model_validate (not Settings(...)): the overrides are merged already, and it must not
    # read os.environ behind the caller's back.
    try:
        return Settings.model_validate(data), []
    except ValidationError as err:
        problems = [_from_pydantic(e) for e in err.errors() if e["loc"]]
        return None, [p for p in problems if p[0] not in reported]


def _from_pydantic(error: ErrorDetails) -> KeyProblem:
    key = _loc_to_key(error["loc"])
    kind = error["type"]
    secret = key.rsplit(".", 1)[-1] in _SECRET_KEYS
    if kind == "extra_forbidden":
        return key, _unknown_key(error["loc"])  # never its value: it may hold a secret
    if kind == "list_type" and key in ("stores", "groups") and isinstance(error["input"], dict):
        return key, f"must be an array of tables: write [[{key}]], not [{key}]"
    if kind == "missing":
        forms = ' (a string, { env = "NAME" } or { file = "NAME" })' if secret else ""
        return key, f"is required{forms}"
    if kind == "union_tag_invalid":
        tag = error.get("ctx", {}).get("tag")
        return f"{key}.platform", f"unknown platform {tag!r}; expected {_platforms()}"
    if kind == "union_tag_not_found":
        return f"{key}.platform", f"is required: one of {_platforms()}"
    message = error["msg"].removeprefix("Value error, ")
    if kind != "value_error" and not secret and _printable(error.get("input")):
        message += f"; got {error['input']!r}"
    return key, message


def _unknown_key(loc: tuple[int | str, ...]) -> str:
    """``unknown key``, with the likely intended key or the platform the key belongs to."""
    name = str(loc[-1])
    parents = [part for part in loc[:-1] if isinstance(part, str) and part in _TABLE_MODELS]
    model = _TABLE_MODELS[parents[-1]] if parents else Settings
    close = difflib.get_close_matches(name, list(model.model_fields), n=1, cutoff=0.7)
    if close:
        return f"unknown key (did you mean {close[0]!r}?)"
    owners = [p for p in PLATFORMS if name in _TABLE_MODELS[p].model_fields]
    if parents and parents[-1] in PLATFORMS and owners:
        return f"unknown key for platform {parents[-1]} (it is a key of {', '.join(owners)})"
    return "unknown key"


def _platforms() -> str:
    return ", ".join(PLATFORMS)


def _printable(value: Any) -> bool:
    return isinstance(value, int | float | bool) or (isinstance(value, str) and len(value) < 80)


def _loc_to_key(loc: tuple[int | str, ...]) -> str:
    key = ""
    for position, part in enumerate(loc):
        if position == 2 and loc[0] == "stores" and part in PLATFORMS:
            continue  # the discriminated union's tag, not a key in the file
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
    return key


def _render(
    problems: list[KeyProblem | str],
    lines: KeyLines,
    from_env: Mapping[str, str],
    secrets: Resolution,
) -> list[str]:
    """One line per problem, ordered by line in the file, secrets scrubbed."""
    rendered: list[tuple[int, str]] = []
    for problem in problems:
        if isinstance(problem, str):
            rendered.append((0, problem))
            continue
        key, text = problem
        where, line = _where(key, lines, from_env)
        rendered.append((line, f"{key}{where}: {text}"))
    rendered.sort(key=lambda item: item[0])
    return [scrub(text, secrets.values) for _, text in rendered]


def _where(key: str, lines: KeyLines, from_env: Mapping[str, str]) -> tuple[str, int]:
    for env_key, variable in from_env.items():
        if key == env_key or key.startswith((f"{env_key}.", f"{env_key}[")):
            return f" (from {variable})", 0
    line = lines.line_of(key)
    return (f" (line {line})", line) if line else ("", 0)


def scrub(text: str, values: list[str]) -> str:
    """``text`` with each secret value (of at least 4 characters) replaced by ``***``."""
    for value in sorted(values, key=len, reverse=True):
        if len(value) >= _MIN_SCRUB:
            text = text.replace(value, "***")
    return text
