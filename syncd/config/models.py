"""The config models: frozen pydantic models in the shape of DESIGN.md §8.

Secrets are ``SecretStr`` by the time they reach these models: ``syncd.config.secrets``
resolves ``{ env = ... }`` / ``{ file = ... }`` references first, so nothing downstream ever
sees a reference, and ``repr()`` never shows a value.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr, model_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)
from pydantic_settings.sources.utils import parse_env_vars

from syncd.config.checks import cross_check
from syncd.config.types import (
    Currency,
    Duration,
    HostOrUrl,
    Listen,
    LowerCase,
    Name,
    TimeZone,
    Url,
    split_host_port,
)

PLATFORMS = ("shift4shop", "bigcommerce", "sfcc")
# Keys whose values are credentials, per table; everything else may be printed.
STORE_SECRET_FIELDS = ("private_key", "token", "access_token", "client_secret")
HTTP_SECRET_FIELDS = ("admin_token",)
# Tables that cannot be overridden from the environment: they are lists (see load_settings).
_NOT_FROM_ENV = ("stores", "groups")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LedgerSettings(_Frozen):
    url: str = Field("sqlite:///var/lib/syncd/ledger.db", min_length=1)


class HttpSettings(_Frozen):
    """The side door. ``admin_token`` protects its mutating routes."""

    listen: Listen = "127.0.0.1:8787"
    admin_token: SecretStr | None = None

    def host_port(self) -> tuple[str, int]:
        return split_host_port(self.listen)


class LogSettings(_Frozen):
    level: Annotated[Literal["debug", "info", "warning", "error"], LowerCase] = "info"
    format: Annotated[Literal["auto", "json", "console"], LowerCase] = "auto"


class StoreBase(_Frozen):
    """What every store has. ``base_url`` is the API host root; connectors append paths."""

    name: Name
    base_url: Url
    currency: Currency | None = None
    timeout: float = Field(30.0, gt=0)  # seconds per request
    max_concurrency: int = Field(4, ge=1)
    max_requests_per_second: float | None = Field(None, gt=0)  # the configured ceiling
    page_size: int | None = Field(None, ge=1)  # None: the platform default (3dcart 200, else max)
    max_response_mb: float = Field(32.0, gt=0, le=4096)  # larger answers are refused
    # A count/total above it is not believed: the listing ends incomplete.
    max_certificates: int = Field(5_000_000, ge=1)


class Shift4ShopStore(StoreBase):
    platform: Literal["shift4shop"]
    secure_url: HostOrUrl
    private_key: SecretStr
    token: SecretStr
    currency: Currency  # required: 3dcart reports no currency
    # How a balance is changed: "put" (a PUT of Balance, read back) or "recreate" (DELETE,
    # then POST of the same code with the new balance as Amount, Notes kept).
    balance_write: Literal["put", "recreate"] = "put"
    timezone: TimeZone = "UTC"  # IANA name: 3dcart's zone-less dates are this zone's time


class BigCommerceStore(StoreBase):
    platform: Literal["bigcommerce"]
    store_hash: str = Field(min_length=1)
    access_token: SecretStr
    # Share of the X-Rate-Limit quota left to the store's other apps: syncd sends at once
    # above it and paces its requests to the window's reset below it (HeaderRateLimiter).
    rate_limit_reserve: float = Field(0.1, ge=0, lt=1)


class SfccStore(StoreBase):
    platform: Literal["sfcc"]
    auth_url: Url
    site_id: str = Field(min_length=1)
    client_id: str = Field(min_length=1)
    client_secret: SecretStr
    companion_url: Url | None = None  # authenticated with the same OAuth token
    shop_client_id: str | None = None  # enables the Shop API code look-up


AnyStore = Shift4ShopStore | BigCommerceStore | SfccStore
StoreSettings = Annotated[AnyStore, Field(discriminator="platform")]


class GroupDefaults(_Frozen):
    """Fills fields a platform requires but another store did not provide."""

    to_name: str | None = None
    to_email: str | None = None
    from_name: str | None = None
    from_email: str | None = None


class GroupSettings(_Frozen):
    name: Name
    stores: list[str] = Field(min_length=1)
    interval: Duration
    on_delete: Literal["disable", "propagate", "restore"] = "disable"
    max_change_ratio: float = Field(0.2, gt=0, le=1)
    registries: bool = False
    case_insensitive_codes: bool = False
    sfcc_stale_balance: Literal["disable", "alert"] = "disable"
    on_ambiguous: Literal["assume_applied", "assume_not_applied"] = "assume_applied"
    max_writes_per_cycle: int = Field(10000, ge=1)
    cycle_deadline: Duration = timedelta(minutes=10)
    defaults: GroupDefaults = GroupDefaults()


class MappingEnvSource(EnvSettingsSource):
    """``SYNCD_…`` overrides read from an explicit mapping (tests never touch os.environ).

    Only the tables ``ledger``, ``http`` and ``log`` are overridable (``SYNCD_HTTP__LISTEN``,
    or a whole table as JSON in ``SYNCD_HTTP``); ``stores``/``groups`` are lists and are not.
    """

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = environ  # read by _load_env_vars, which the base __init__ calls
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return parse_env_vars(
            self._environ, self.case_sensitive, self.env_ignore_empty, self.env_parse_none_str
        )

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        if field_name in _NOT_FROM_ENV:
            return None, field_name, False
        return super().get_field_value(field, field_name)


class Settings(BaseSettings):
    """The whole configuration. Build it with :func:`syncd.config.load_settings`."""

    model_config = SettingsConfigDict(
        env_prefix="SYNCD_", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    ledger: LedgerSettings = LedgerSettings()
    http: HttpSettings = HttpSettings()
    log: LogSettings = LogSettings()
    stores: list[StoreSettings] = Field(default_factory=list)
    groups: list[GroupSettings] = Field(default_factory=list)

    # Where each secret came from ("env NAME", "file NAME", "inline"), by key path such as
    # "stores[0].token"; set by load_settings, used by summaries that must not show values.
    _secret_origins: dict[str, str] = PrivateAttr(default_factory=dict)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, MappingEnvSource(settings_cls, os.environ)

    @model_validator(mode="after")
    def _cross_check(self) -> Settings:
        stores = [s.name for s in self.stores]
        groups = [(g.name, list(g.stores)) for g in self.groups]
        problems = cross_check(stores, groups)
        if problems:
            raise ValueError("; ".join(f"{key}: {text}" for key, text in problems))
        return self

    def store(self, name: str) -> StoreSettings:
        for store in self.stores:
            if store.name == name:
                return store
        raise KeyError(f"no store named {name!r}")

    def group(self, name: str) -> GroupSettings:
        for group in self.groups:
            if group.name == name:
                return group
        raise KeyError(f"no group named {name!r}")

    def stores_of(self, group: GroupSettings) -> list[StoreSettings]:
        """The group's stores, in the group's order."""
        return [self.store(name) for name in group.stores]

    def secret_values(self) -> list[str]:
        """Every resolved secret (for log redaction), including a password in the ledger URL."""
        values = [s.get_secret_value() for s in self._secrets().values()]
        password = _url_password(self.ledger.url)
        return [v for v in [*values, password] if v]

    def secret_origin(self, key: str) -> str | None:
        """``"env NAME"``, ``"file NAME"`` or ``"inline"`` for a secret key path, if known."""
        return self._secret_origins.get(key)

    def _secrets(self) -> dict[str, SecretStr]:
        found: dict[str, SecretStr] = {}
        if self.http.admin_token is not None:
            found["http.admin_token"] = self.http.admin_token
        for i, store in enumerate(self.stores):
            for field in STORE_SECRET_FIELDS:
                value = getattr(store, field, None)
                if isinstance(value, SecretStr):
                    found[f"stores[{i}].{field}"] = value
        return found


def _url_password(url: str) -> str | None:
    try:
        return urlsplit(url).password
    except ValueError:
        return None
