"""Resolve secret references before validation: a literal, ``{ env = "NAME" }`` or
``{ file = "NAME" }`` (relative to ``$CREDENTIALS_DIRECTORY``, as systemd's
``LoadCredential=`` provides). Problems name the key and the variable or file, never a value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from syncd.config.checks import KeyProblem
from syncd.config.models import HTTP_SECRET_FIELDS, STORE_SECRET_FIELDS

_FORMS = 'a string, { env = "NAME" } or { file = "NAME" }'
# Stands in for a secret that could not be resolved, so validation does not report the
# same key a second time as missing.
UNRESOLVED = "unresolved-secret"


@dataclass
class Resolution:
    problems: list[KeyProblem] = field(default_factory=list)
    reported: set[str] = field(default_factory=set)  # keys with a problem already
    origins: dict[str, str] = field(default_factory=dict)  # key -> "env NAME" / ...
    values: list[str] = field(default_factory=list)  # every secret value seen, for scrubbing


@dataclass(frozen=True)
class _Context:
    environ: Mapping[str, str]
    file_mode: int  # st_mode of the config file: inline secrets need 0o077 clear
    from_env: Mapping[str, str]  # key path -> SYNCD_… variable that set it


def resolve_secrets(
    data: dict[str, Any],
    *,
    environ: Mapping[str, str],
    file_mode: int,
    from_env: Mapping[str, str],
) -> Resolution:
    """Replace every secret reference in ``data`` (in place) by its value."""
    ctx = _Context(environ, file_mode, from_env)
    result = Resolution()
    for table, key, names in _secret_tables(data):
        for name in names:
            if name in table:
                table[name] = _resolve(f"{key}.{name}", table[name], ctx, result)
    _check_ledger_password(data, ctx, result)
    return result


def _check_ledger_password(data: dict[str, Any], ctx: _Context, result: Resolution) -> None:
    """A database password in ``ledger.url`` is an inline secret too."""
    ledger = data.get("ledger")
    url = ledger.get("url") if isinstance(ledger, dict) else None
    try:
        password = urlsplit(url).password if isinstance(url, str) else None
    except ValueError:
        return
    if not password:
        return
    result.values.append(password)
    if "ledger.url" not in ctx.from_env and ctx.file_mode & 0o077:
        problem = _literal("ledger.url", password, ctx)[2]
        result.problems.append(("ledger.url", f"has a password: {problem}"))


def _secret_tables(data: dict[str, Any]) -> list[tuple[dict[str, Any], str, tuple[str, ...]]]:
    found: list[tuple[dict[str, Any], str, tuple[str, ...]]] = []
    if isinstance(data.get("http"), dict):
        found.append((data["http"], "http", HTTP_SECRET_FIELDS))
    stores = data.get("stores")
    for i, store in enumerate(stores if isinstance(stores, list) else []):
        if isinstance(store, dict):
            found.append((store, f"stores[{i}]", STORE_SECRET_FIELDS))
    return found


def _resolve(key: str, raw: Any, ctx: _Context, result: Resolution) -> Any:
    if raw is None and key in ctx.from_env:
        return raw  # SYNCD_HTTP__ADMIN_TOKEN=null: unset on purpose
    origin, value, problem = _lookup(key, raw, ctx)
    if problem is None and value is not None and not value:
        problem = f"the secret ({origin}) is empty"
    # A well-formed reference names a variable or file, which messages may show; anything
    # else that failed may be a mistyped secret, so every string in it is scrubbed.
    result.values.extend(
        [value] if value is not None else [] if _is_reference(raw) else _strings(raw)
    )
    if problem is not None:
        result.problems.append((key, problem))
        result.reported.add(key)
        return UNRESOLVED
    result.origins[key] = origin
    return value


def _lookup(key: str, raw: Any, ctx: _Context) -> tuple[str, str | None, str | None]:
    """(origin, value, problem)"""
    if isinstance(raw, str):
        return _literal(key, raw, ctx)
    if isinstance(raw, dict) and set(raw) == {"env"} and isinstance(raw["env"], str):
        return _from_environ(raw["env"], ctx.environ)
    if isinstance(raw, dict) and set(raw) == {"file"} and isinstance(raw["file"], str):
        return _from_file(raw["file"], ctx.environ)
    return "", None, f"must be {_FORMS}; got {_describe(raw)}"


def _literal(key: str, raw: str, ctx: _Context) -> tuple[str, str | None, str | None]:
    if key in ctx.from_env:
        return f"env {ctx.from_env[key]}", raw, None
    mode = ctx.file_mode & 0o777
    if mode & 0o077:
        problem = (
            f"inline secret in a file others can read (mode {mode:04o}); "
            'chmod 600 the file or use { env = "NAME" } / { file = "NAME" }'
        )
        return "inline", raw, problem
    return "inline", raw, None


def _from_environ(name: str, environ: Mapping[str, str]) -> tuple[str, str | None, str | None]:
    origin = f"env {name}"
    if name not in environ:
        return origin, None, f"environment variable {name} is not set"
    return origin, environ[name], None


def _from_file(name: str, environ: Mapping[str, str]) -> tuple[str, str | None, str | None]:
    origin = f"file {name}"
    path = Path(name)
    if not path.is_absolute():
        base = environ.get("CREDENTIALS_DIRECTORY")
        if not base:
            return origin, None, f"relative credential file {name} needs $CREDENTIALS_DIRECTORY"
        path = Path(base) / path
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return origin, None, f"credential file {path} does not exist"
    except (OSError, UnicodeDecodeError) as err:
        reason = getattr(err, "strerror", None) or "not UTF-8 text"
        return origin, None, f"cannot read credential file {path}: {reason}"
    return origin, text.removesuffix("\n").removesuffix("\r"), None


def _is_reference(raw: Any) -> bool:
    return (
        isinstance(raw, dict) and len(raw) == 1 and isinstance(raw.get("env", raw.get("file")), str)
    )


def _strings(raw: Any) -> list[str]:
    """Every string inside a malformed secret value: none of them may be echoed."""
    if isinstance(raw, str):
        return [raw]
    if isinstance(raw, dict):
        raw = list(raw.values())
    if isinstance(raw, list):
        return [s for item in raw for s in _strings(item)]
    return [str(raw)]


def _describe(raw: Any) -> str:
    """The shape of a bad secret value without the value itself."""
    if isinstance(raw, dict):
        keys = ", ".join(sorted(str(k) for k in raw)) or "no keys"
        return f"a table with {keys}"
    return f"a value of type {type(raw).__name__}"
