"""syncd's configuration: one TOML file (DESIGN.md §8), ``SYNCD_…`` overrides, secrets from
the environment or credential files. Build it with :func:`load_settings`.
"""

from syncd.config.loader import DEFAULT_PATH, config_path, load_settings
from syncd.config.models import (
    PLATFORMS,
    AnyStore,
    BigCommerceStore,
    GroupDefaults,
    GroupSettings,
    HttpSettings,
    LedgerSettings,
    LogSettings,
    Settings,
    SfccStore,
    Shift4ShopStore,
    StoreBase,
    StoreSettings,
)
from syncd.config.types import format_duration, parse_duration

__all__ = [
    "DEFAULT_PATH",
    "PLATFORMS",
    "AnyStore",
    "BigCommerceStore",
    "GroupDefaults",
    "GroupSettings",
    "HttpSettings",
    "LedgerSettings",
    "LogSettings",
    "Settings",
    "SfccStore",
    "Shift4ShopStore",
    "StoreBase",
    "StoreSettings",
    "config_path",
    "format_duration",
    "load_settings",
    "parse_duration",
]
