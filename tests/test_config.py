"""load_settings: shape, overrides, secret references, and every problem named by key."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from syncd.config import (
    BigCommerceStore,
    GroupDefaults,
    GroupSettings,
    HttpSettings,
    LedgerSettings,
    LogSettings,
    Settings,
    SfccStore,
    Shift4ShopStore,
    format_duration,
    load_settings,
    parse_duration,
)
from syncd.config.lines import KeyLines
from syncd.errors import ConfigError
from tests.config_samples import (
    EXAMPLE,
    EXAMPLE_ENV,
    MINIMAL,
    MINIMAL_ENV,
    write_config,
)


def load(
    tmp_path: Path, text: str, env: dict[str, str] | None = None, mode: int = 0o600
) -> Settings:
    path = write_config(tmp_path, text, mode)
    return load_settings(path, environ=MINIMAL_ENV if env is None else env)


def problems(
    tmp_path: Path, text: str, env: dict[str, str] | None = None, mode: int = 0o600
) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text, env, mode)
    return caught.value.problems


def one_problem(tmp_path: Path, text: str, **kwargs: object) -> str:
    found = problems(tmp_path, text, **kwargs)  # type: ignore[arg-type]
    assert len(found) == 1, found
    return found[0]


# --- the example file -------------------------------------------------------------------


def test_example_loads_with_its_variables_set() -> None:
    settings = load_settings(EXAMPLE, environ=EXAMPLE_ENV)
    s3d, sbc, ssf = settings.stores
    assert isinstance(s3d, Shift4ShopStore)
    assert isinstance(sbc, BigCommerceStore)
    assert isinstance(ssf, SfccStore)
    assert s3d.private_key.get_secret_value() == EXAMPLE_ENV["SYNCD_MAIN_3DCART_KEY"]
    assert ssf.companion_url
    assert ssf.shop_client_id
    group = settings.groups[0]
    assert group.interval == timedelta(minutes=5)
    assert group.cycle_deadline == timedelta(minutes=10)
    assert group.defaults.to_email == "giftcards@example.com"
    assert sorted(settings.secret_values()) == sorted(EXAMPLE_ENV.values())


def test_example_without_its_variables_names_each_one() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(EXAMPLE, environ={})
    text = "\n".join(caught.value.problems)
    assert len(caught.value.problems) == len(EXAMPLE_ENV)
    for name in EXAMPLE_ENV:
        assert f"environment variable {name} is not set" in text


def test_example_lists_every_variable_it_uses_at_its_top() -> None:
    text = EXAMPLE.read_text()
    header = text.split("[ledger]")[0]
    for name in EXAMPLE_ENV:
        assert name in header


def test_example_has_every_key_of_every_model() -> None:
    text = EXAMPLE.read_text()
    models = [Shift4ShopStore, BigCommerceStore, SfccStore, GroupSettings, GroupDefaults]
    models += [HttpSettings, LogSettings, LedgerSettings]
    for model in models:
        for key in set(model.model_fields) - {"defaults"}:
            assert f"\n{key} = " in text, f"{model.__name__}.{key} missing from example.toml"
    assert "\n[groups.defaults]" in text


# --- shape and defaults -----------------------------------------------------------------


def test_minimal_config_defaults(tmp_path: Path) -> None:
    settings = load(tmp_path, MINIMAL)
    assert settings.ledger.url == "sqlite:///var/lib/syncd/ledger.db"
    assert settings.http.listen == "127.0.0.1:8787"
    assert settings.http.host_port() == ("127.0.0.1", 8787)
    assert settings.http.admin_token is None
    assert (settings.log.level, settings.log.format) == ("info", "auto")
    store = settings.store("s3d")
    assert store.currency == "USD"  # upper-cased
    assert (store.timeout, store.max_concurrency) == (30.0, 4)
    assert store.max_requests_per_second is None
    assert store.page_size is None
    sbc = settings.store("sbc")
    assert isinstance(sbc, BigCommerceStore)
    assert sbc.rate_limit_reserve == 0.1
    group = settings.groups[0]
    assert (group.on_delete, group.max_change_ratio, group.registries) == ("disable", 0.2, False)
    assert group.max_writes_per_cycle == 10000
    assert group.sfcc_stale_balance == "disable"
    assert group.on_ambiguous == "assume_applied"
    assert [s.name for s in settings.stores_of(group)] == ["s3d", "sbc", "ssf"]
    assert settings.group("us") is group


def test_lookups_of_unknown_names_raise_key_error(tmp_path: Path) -> None:
    settings = load(tmp_path, MINIMAL)
    with pytest.raises(KeyError, match="nope"):
        settings.store("nope")
    with pytest.raises(KeyError, match="nope"):
        settings.group("nope")


def test_settings_are_frozen_and_reprs_hide_secrets(tmp_path: Path) -> None:
    settings = load(tmp_path, MINIMAL)
    with pytest.raises(ValidationError):
        settings.stores[0].name = "x"  # type: ignore[misc]
    for value in MINIMAL_ENV.values():
        assert value not in repr(settings)
        assert value not in str(settings.model_dump())


def test_secret_origins(tmp_path: Path) -> None:
    settings = load(tmp_path, MINIMAL)
    assert settings.secret_origin("stores[0].private_key") == "env K3D"
    assert settings.secret_origin("stores[2].client_secret") == "env SSF"
    assert sorted(settings.secret_values()) == sorted(MINIMAL_ENV.values())


def test_ledger_url_password_is_a_secret_value(tmp_path: Path) -> None:
    text = '[ledger]\nurl = "postgresql+psycopg://syncd:db-pass-1234@127.0.0.1/test"\n' + MINIMAL
    assert "db-pass-1234" in load(tmp_path, text).secret_values()


def test_ledger_url_password_in_a_readable_file_is_refused(tmp_path: Path) -> None:
    text = '[ledger]\nurl = "postgresql+psycopg://syncd:db-pass-1234@127.0.0.1/test"\n' + MINIMAL
    found = one_problem(tmp_path, text, mode=0o644)
    assert found.startswith("ledger.url (line 2): has a password: inline secret in a file others")
    assert "db-pass-1234" not in found
    env = {**MINIMAL_ENV, "SYNCD_LEDGER__URL": "postgresql://syncd:db-pass-1234@127.0.0.1/test"}
    assert load(tmp_path, MINIMAL, env, mode=0o644).ledger.url.endswith("/test")


# --- environment overrides --------------------------------------------------------------


def test_env_overrides_nested_keys(tmp_path: Path) -> None:
    env = {
        **MINIMAL_ENV,
        "SYNCD_HTTP__LISTEN": "127.0.0.1:9000",
        "SYNCD_LEDGER__URL": "sqlite:///tmp/x.db",
        "SYNCD_LOG__LEVEL": "DEBUG",
        "SYNCD_LOG__FORMAT": "json",
    }
    settings = load(tmp_path, '[http]\nlisten = "127.0.0.1:1"\n' + MINIMAL, env)
    assert settings.http.listen == "127.0.0.1:9000"
    assert settings.ledger.url == "sqlite:///tmp/x.db"
    assert (settings.log.level, settings.log.format) == ("debug", "json")


def test_a_whole_table_can_be_overridden_as_json(tmp_path: Path) -> None:
    env = {**MINIMAL_ENV, "SYNCD_HTTP": '{"listen": "[::1]:8080"}'}
    settings = load(tmp_path, MINIMAL, env)
    assert settings.http.host_port() == ("::1", 8080)


def test_a_bad_override_names_its_variable(tmp_path: Path) -> None:
    env = {**MINIMAL_ENV, "SYNCD_HTTP__LISTEN": "nowhere"}
    found = one_problem(tmp_path, MINIMAL, env=env)
    assert found.startswith("http.listen (from SYNCD_HTTP__LISTEN): 'nowhere' is not host:port")


def test_a_table_override_that_is_not_json(tmp_path: Path) -> None:
    env = {**MINIMAL_ENV, "SYNCD_HTTP": "{not-json-secret"}
    found = one_problem(tmp_path, MINIMAL, env=env)
    assert found == "SYNCD_HTTP: a whole table must be given as JSON (it is not valid JSON)"


def test_an_unknown_override_key_is_reported(tmp_path: Path) -> None:
    env = {**MINIMAL_ENV, "SYNCD_HTTP__LISTNE": "127.0.0.1:1"}
    assert (
        one_problem(tmp_path, MINIMAL, env=env)
        == "http.listne (from SYNCD_HTTP__LISTNE): unknown key (did you mean 'listen'?)"
    )


def test_admin_token_from_the_environment_is_not_inline(tmp_path: Path) -> None:
    env = {**MINIMAL_ENV, "SYNCD_HTTP__ADMIN_TOKEN": "admin-secret-1"}
    settings = load(tmp_path, MINIMAL, env, mode=0o644)
    assert settings.http.admin_token is not None
    assert settings.secret_origin("http.admin_token") == "env SYNCD_HTTP__ADMIN_TOKEN"
    assert "admin-secret-1" in settings.secret_values()


def test_store_lists_are_not_overridable(tmp_path: Path) -> None:
    env = {**MINIMAL_ENV, "SYNCD_STORES": "[]", "SYNCD_GROUPS": "not json"}
    assert len(load(tmp_path, MINIMAL, env).stores) == 3


def test_path_none_uses_syncd_config(tmp_path: Path) -> None:
    path = write_config(tmp_path, MINIMAL)
    settings = load_settings(None, environ={**MINIMAL_ENV, "SYNCD_CONFIG": str(path)})
    assert len(settings.groups) == 1


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the config file: No such file"):
        load_settings(tmp_path / "absent.toml", environ={})


def test_invalid_toml_names_the_line(tmp_path: Path) -> None:
    found = one_problem(tmp_path, MINIMAL + 'oops = "unterminated\n')
    assert found.startswith("not valid TOML")
    assert "line 30" in found


# --- unknown keys, with lines -----------------------------------------------------------


def test_unknown_top_level_key(tmp_path: Path) -> None:
    assert one_problem(tmp_path, "colour = 1\n" + MINIMAL) == "colour (line 1): unknown key"


def test_unknown_key_suggests_the_intended_table_key(tmp_path: Path) -> None:
    found = one_problem(tmp_path, "stors = 1\n" + MINIMAL)
    assert found == "stors (line 1): unknown key (did you mean 'stores'?)"


def test_stores_written_as_a_table(tmp_path: Path) -> None:
    found = one_problem(tmp_path, '[stores]\nname = "x"\n')
    assert found == "stores (line 1): must be an array of tables: write [[stores]], not [stores]"


def test_unknown_key_in_a_store(tmp_path: Path) -> None:
    text = MINIMAL.replace('store_hash = "abc123"\n', 'store_hash = "abc123"\nstore_hsah = "x"\n')
    assert (
        one_problem(tmp_path, text)
        == "stores[1].store_hsah (line 15): unknown key (did you mean 'store_hash'?)"
    )


def test_unknown_key_in_group_defaults(tmp_path: Path) -> None:
    text = MINIMAL + '[groups.defaults]\nto_name = "x"\nto_nmae = "y"\n'
    assert (
        one_problem(tmp_path, text)
        == "groups[0].defaults.to_nmae (line 32): unknown key (did you mean 'to_name'?)"
    )


def test_a_secret_in_an_unknown_key_is_not_echoed(tmp_path: Path) -> None:
    text = MINIMAL.replace(
        'client_id = "client-1"\n', 'client_id = "client-1"\npasword = "hunter2-xyz"\n'
    )
    found = one_problem(tmp_path, text)
    assert found == "stores[2].pasword (line 24): unknown key"


def test_a_secret_field_of_another_platform_is_unknown(tmp_path: Path) -> None:
    text = MINIMAL.replace(
        'store_hash = "abc123"\n', 'store_hash = "abc123"\ntoken = { env = "T3D" }\n'
    )
    assert (
        one_problem(tmp_path, text) == "stores[1].token (line 15): "
        "unknown key for platform bigcommerce (it is a key of shift4shop)"
    )


# --- platforms and stores ---------------------------------------------------------------


def test_unknown_platform(tmp_path: Path) -> None:
    found = one_problem(tmp_path, MINIMAL.replace('"bigcommerce"', '"magento"'))
    assert found == (
        "stores[1].platform (line 12): unknown platform 'magento'; "
        "expected shift4shop, bigcommerce, sfcc"
    )


def test_missing_platform(tmp_path: Path) -> None:
    found = one_problem(tmp_path, MINIMAL.replace('platform = "sfcc"\n', ""))
    assert found.startswith("stores[2].platform (line 17): is required")


@pytest.mark.parametrize(
    ("remove", "key"),
    [
        ('access_token = { env = "TBC" }\n', "stores[1].access_token (line 10)"),
        ('store_hash = "abc123"\n', "stores[1].store_hash (line 10)"),
        ('token = { env = "T3D" }\n', "stores[0].token (line 1)"),
        ('private_key = { env = "K3D" }\n', "stores[0].private_key (line 1)"),
        ('currency = "usd"\n', "stores[0].currency (line 1)"),
        ('client_secret = { env = "SSF" }\n', "stores[2].client_secret (line 17)"),
    ],
)
def test_a_store_without_what_it_needs(tmp_path: Path, remove: str, key: str) -> None:
    assert one_problem(tmp_path, MINIMAL.replace(remove, "")).startswith(f"{key}: is required")


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('name = "s3d"', 'name = "S 3d"', "stores[0].name (line 2): 'S 3d' is not a valid name"),
        (
            '"https://apirest.3dcart.com"',
            '"ftp://x"',
            "stores[0].base_url (line 4): 'ftp://x' is not",
        ),
        ('currency = "usd"', 'currency = "US"', "stores[0].currency (line 8): 'US' is not an ISO"),
        (
            'name = "sbc"',
            'name = "sbc"\ntimeout = 0',
            "stores[1].timeout (line 12): Input should be greater than 0; got 0",
        ),
        (
            'name = "sbc"',
            'name = "sbc"\npage_size = 0',
            "stores[1].page_size (line 12): Input should be greater than or equal to 1",
        ),
        (
            'name = "sbc"',
            'name = "sbc"\nmax_response_mb = 0',
            "stores[1].max_response_mb (line 12): Input should be greater than 0; got 0",
        ),
        (
            'name = "sbc"',
            'name = "sbc"\nmax_certificates = 0',
            "stores[1].max_certificates (line 12): Input should be greater than or equal to 1",
        ),
        (
            'name = "sbc"',
            'name = "sbc"\nrate_limit_reserve = 1',
            "stores[1].rate_limit_reserve (line 12): Input should be less than 1; got 1",
        ),
        (
            'name = "sbc"',
            'name = "sbc"\nrate_limit_reserve = -0.05',
            "stores[1].rate_limit_reserve (line 12): Input should be greater than or equal to 0;"
            " got -0.05",
        ),
        (
            'site_id = "SiteGenesis"',
            'companion_url = "x"',
            "stores[2].companion_url (line 22): 'x' is not an http",
        ),
    ],
)
def test_bad_store_values_are_named(tmp_path: Path, old: str, new: str, expected: str) -> None:
    text = MINIMAL.replace(old, new)
    if "companion" in new:
        text = text.replace('client_id = "client-1"', 'client_id = "client-1"\nsite_id = "S"')
    assert problems(tmp_path, text)[0].startswith(expected)


def test_store_options(tmp_path: Path) -> None:
    text = MINIMAL.replace(
        'name = "sbc"\n',
        'name = "sbc"\ntimeout = 5\nmax_concurrency = 2\nmax_requests_per_second = 1.5\n'
        'page_size = 50\ncurrency = "eur"\nrate_limit_reserve = 0\n',
    )
    store = load(tmp_path, text).store("sbc")
    assert (store.timeout, store.max_concurrency, store.max_requests_per_second) == (5.0, 2, 1.5)
    assert (store.page_size, store.currency) == (50, "EUR")
    assert isinstance(store, BigCommerceStore)
    assert store.rate_limit_reserve == 0


def test_store_bounds_default_and_reach_the_connector(tmp_path: Path) -> None:
    from syncd.platforms.factory import http_options

    store = load(tmp_path, MINIMAL).store("sbc")
    assert (store.max_response_mb, store.max_certificates) == (32.0, 5_000_000)
    text = MINIMAL.replace('name = "sbc"\n', 'name = "sbc"\nmax_response_mb = 0.5\n')
    assert http_options(load(tmp_path, text).store("sbc")).max_body_bytes == 512 * 1024


def test_rate_limit_reserve_is_a_bigcommerce_setting(tmp_path: Path) -> None:
    text = MINIMAL.replace('name = "s3d"\n', 'name = "s3d"\nrate_limit_reserve = 0.2\n')
    assert problems(tmp_path, text) == [
        "stores[0].rate_limit_reserve (line 3): unknown key for platform shift4shop"
        " (it is a key of bigcommerce)"
    ]


def test_balance_write_is_a_3dcart_setting_named_when_bad(tmp_path: Path) -> None:
    assert load(tmp_path, MINIMAL).store("s3d").balance_write == "put"  # type: ignore[union-attr]
    text = MINIMAL.replace('name = "s3d"\n', 'name = "s3d"\nbalance_write = "recreate"\n')
    assert load(tmp_path, text).store("s3d").balance_write == "recreate"  # type: ignore[union-attr]
    bad = MINIMAL.replace('name = "s3d"\n', 'name = "s3d"\nbalance_write = "delete"\n')
    assert problems(tmp_path, bad) == [
        "stores[0].balance_write (line 3): Input should be 'put' or 'recreate'; got 'delete'"
    ]
    elsewhere = MINIMAL.replace('name = "sbc"\n', 'name = "sbc"\nbalance_write = "put"\n')
    assert problems(tmp_path, elsewhere)[0].startswith(
        "stores[1].balance_write (line 12): unknown key for platform bigcommerce"
    )


def test_base_url_trailing_slash_is_dropped(tmp_path: Path) -> None:
    text = MINIMAL.replace('"https://api.bigcommerce.com"', '"http://127.0.0.1:8001/"')
    assert load(tmp_path, text).store("sbc").base_url == "http://127.0.0.1:8001"


@pytest.mark.parametrize("listen", ["nowhere", "127.0.0.1:", ":80", "127.0.0.1:99999", "h:x"])
def test_bad_listen(tmp_path: Path, listen: str) -> None:
    found = one_problem(tmp_path, f'[http]\nlisten = "{listen}"\n' + MINIMAL)
    assert found.startswith(f"http.listen (line 2): '{listen}' is not host:port")


# --- groups and cross checks ------------------------------------------------------------


def test_group_naming_a_missing_store(tmp_path: Path) -> None:
    found = one_problem(tmp_path, MINIMAL.replace('"ssf"]', '"ssf", "gone"]'))
    assert found == "groups[0].stores (line 28): store 'gone' is not defined in [[stores]]"


def test_store_in_two_groups(tmp_path: Path) -> None:
    text = MINIMAL + '\n[[groups]]\nname = "eu"\nstores = ["sbc"]\ninterval = "1h"\n'
    found = one_problem(tmp_path, text)
    assert found == "groups[1].stores (line 33): store 'sbc' is already in group 'us'"


def test_store_listed_twice_in_a_group(tmp_path: Path) -> None:
    found = one_problem(tmp_path, MINIMAL.replace('"ssf"]', '"ssf", "s3d"]'))
    assert found == "groups[0].stores (line 28): store 's3d' is listed twice"


def test_duplicate_store_and_group_names(tmp_path: Path) -> None:
    text = MINIMAL.replace('name = "ssf"', 'name = "sbc"').replace('"ssf"]', '"sbc"]')
    text += '\n[[groups]]\nname = "us"\nstores = []\ninterval = "1h"\n'
    found = problems(tmp_path, text)
    assert "stores[2].name (line 18): duplicate store name 'sbc' (also stores[1])" in found
    assert "groups[1].name (line 32): duplicate group name 'us' (also groups[0])" in found


def test_an_empty_group_is_an_error(tmp_path: Path) -> None:
    text = MINIMAL + '\n[[groups]]\nname = "eu"\nstores = []\ninterval = "1h"\n'
    assert one_problem(tmp_path, text).startswith(
        "groups[1].stores (line 33): List should have at least 1"
    )


def test_settings_built_directly_run_the_cross_checks() -> None:
    with pytest.raises(ValidationError, match="store 'x' is not defined"):
        Settings.model_validate({"groups": [{"name": "g", "stores": ["x"], "interval": "1m"}]})


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            'on_delete = "explode"',
            "groups[0].on_delete (line 30): Input should be 'disable', 'propagate' or 'restore'; "
            "got 'explode'",
        ),
        (
            "max_change_ratio = 0",
            "groups[0].max_change_ratio (line 30): Input should be greater than 0; got 0",
        ),
        (
            "max_change_ratio = 1.5",
            "groups[0].max_change_ratio (line 30): Input should be less than or equal to 1; "
            "got 1.5",
        ),
        (
            'sfcc_stale_balance = "ignore"',
            "groups[0].sfcc_stale_balance (line 30): Input should be 'disable' or 'alert'; "
            "got 'ignore'",
        ),
        (
            'on_ambiguous = "guess"',
            "groups[0].on_ambiguous (line 30): Input should be 'assume_applied' or "
            "'assume_not_applied'; got 'guess'",
        ),
        ('cycle_deadline = "soon"', "groups[0].cycle_deadline (line 30): 'soon' is not a duration"),
        (
            "max_writes_per_cycle = 0",
            "groups[0].max_writes_per_cycle (line 30): Input should be greater than or equal to 1",
        ),
    ],
)
def test_bad_group_values(tmp_path: Path, line: str, expected: str) -> None:
    assert one_problem(tmp_path, MINIMAL + line + "\n").startswith(expected)


def test_group_options(tmp_path: Path) -> None:
    text = MINIMAL + (
        'on_delete = "propagate"\nmax_change_ratio = 1\nregistries = true\n'
        'case_insensitive_codes = true\nsfcc_stale_balance = "alert"\n'
        'max_writes_per_cycle = 5\ncycle_deadline = "1h30m"\non_ambiguous = "assume_not_applied"\n'
    )
    group = load(tmp_path, text).groups[0]
    assert (group.on_delete, group.max_change_ratio, group.registries) == ("propagate", 1.0, True)
    assert group.case_insensitive_codes
    assert group.sfcc_stale_balance == "alert"
    assert group.max_writes_per_cycle == 5
    assert group.cycle_deadline == timedelta(hours=1, minutes=30)
    assert group.on_ambiguous == "assume_not_applied"


# --- intervals --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("5m", 300), ("1h", 3600), ("1h30m", 5400), ("2h5m10s", 7510), ("90s", 90)],
)
def test_interval_forms(tmp_path: Path, text: str, seconds: int) -> None:
    settings = load(tmp_path, MINIMAL.replace('"5m"', f'"{text}"'))
    assert settings.groups[0].interval == timedelta(seconds=seconds)


@pytest.mark.parametrize("bad", ["5 parsecs", "", "5", "1d", "m", "5m1h", "-5m"])
def test_interval_that_does_not_parse_is_quoted(tmp_path: Path, bad: str) -> None:
    found = one_problem(tmp_path, MINIMAL.replace('"5m"', f'"{bad}"'))
    assert found.startswith(f"groups[0].interval (line 29): {bad!r} is not a duration")


def test_interval_below_one_second(tmp_path: Path) -> None:
    found = one_problem(tmp_path, MINIMAL.replace('"5m"', '"0s"'))
    assert found == "groups[0].interval (line 29): '0s' is shorter than the minimum of 1s"


def test_interval_must_be_a_string(tmp_path: Path) -> None:
    found = one_problem(tmp_path, MINIMAL.replace('"5m"', "300"))
    assert found.startswith("groups[0].interval (line 29): expected a duration string")


@given(st.integers(min_value=1, max_value=10**7))
def test_durations_round_trip(seconds: int) -> None:
    delta = timedelta(seconds=seconds)
    assert parse_duration(format_duration(delta)) == delta


# --- secrets ----------------------------------------------------------------------------


def test_missing_env_secret_names_key_and_variable(tmp_path: Path) -> None:
    env = {k: v for k, v in MINIMAL_ENV.items() if k != "TBC"}
    found = one_problem(tmp_path, MINIMAL, env=env)
    assert found == "stores[1].access_token (line 15): environment variable TBC is not set"


def test_empty_secret_is_an_error(tmp_path: Path) -> None:
    found = one_problem(tmp_path, MINIMAL, env={**MINIMAL_ENV, "TBC": ""})
    assert found == "stores[1].access_token (line 15): the secret (env TBC) is empty"


def test_file_secret_relative_to_credentials_directory(tmp_path: Path) -> None:
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "bc-token").write_text("file-secret-123\n")
    text = MINIMAL.replace('{ env = "TBC" }', '{ file = "bc-token" }')
    settings = load(tmp_path, text, {**MINIMAL_ENV, "CREDENTIALS_DIRECTORY": str(creds)})
    store = settings.store("sbc")
    assert isinstance(store, BigCommerceStore)
    assert store.access_token.get_secret_value() == "file-secret-123"  # newline stripped
    assert settings.secret_origin("stores[1].access_token") == "file bc-token"


def test_file_secret_absolute_path(tmp_path: Path) -> None:
    secret = tmp_path / "token"
    secret.write_text("abs-secret-456")
    text = MINIMAL.replace('{ env = "TBC" }', f'{{ file = "{secret}" }}')
    assert "abs-secret-456" in load(tmp_path, text).secret_values()


def test_missing_file_secret_names_the_file(tmp_path: Path) -> None:
    text = MINIMAL.replace('{ env = "TBC" }', '{ file = "bc-token" }')
    env = {**MINIMAL_ENV, "CREDENTIALS_DIRECTORY": str(tmp_path)}
    found = one_problem(tmp_path, text, env=env)
    assert (
        found
        == f"stores[1].access_token (line 15): credential file {tmp_path}/bc-token does not exist"
    )


def test_relative_file_secret_needs_credentials_directory(tmp_path: Path) -> None:
    text = MINIMAL.replace('{ env = "TBC" }', '{ file = "bc-token" }')
    found = one_problem(tmp_path, text)
    assert (
        found == "stores[1].access_token (line 15): "
        "relative credential file bc-token needs $CREDENTIALS_DIRECTORY"
    )


def test_inline_secret_in_a_private_file_is_accepted(tmp_path: Path) -> None:
    text = MINIMAL.replace('{ env = "TBC" }', '"inline-secret-789"')
    settings = load(tmp_path, text, mode=0o600)
    assert settings.secret_origin("stores[1].access_token") == "inline"
    assert "inline-secret-789" in settings.secret_values()


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_inline_secret_in_a_readable_file_is_refused(tmp_path: Path, mode: int) -> None:
    text = MINIMAL.replace('{ env = "TBC" }', '"inline-secret-789"')
    found = one_problem(tmp_path, text, mode=mode)
    assert found.startswith(
        "stores[1].access_token (line 15): "
        f"inline secret in a file others can read (mode {mode:04o})"
    )
    assert "inline-secret-789" not in found


def test_readable_file_without_inline_secrets_is_fine(tmp_path: Path) -> None:
    assert load(tmp_path, MINIMAL, mode=0o644).stores


@pytest.mark.parametrize(
    ("value", "shape"),
    [
        ("123456789", "a value of type int"),
        ('["list-secret-1"]', "a value of type list"),
        ('{ value = "table-secret-1" }', "a table with value"),
        ('{ env = "A", file = "B" }', "a table with env, file"),
    ],
)
def test_a_secret_of_the_wrong_type_is_not_echoed(tmp_path: Path, value: str, shape: str) -> None:
    text = MINIMAL.replace('{ env = "TBC" }', value)
    found = one_problem(tmp_path, text)
    assert found == (
        'stores[1].access_token (line 15): must be a string, { env = "NAME" } or '
        f'{{ file = "NAME" }}; got {shape}'
    )


def test_all_problems_are_reported_together(tmp_path: Path) -> None:
    text = (
        "bogus = 1\n"
        + MINIMAL.replace('"bigcommerce"', '"magento"')
        .replace('"5m"', '"5 parsecs"')
        .replace('"ssf"]', '"ssf", "gone"]')
        .replace('{ env = "K3D" }', '"inline-secret-1"')
        + '\n[[groups]]\nname = "eu"\nstores = ["s3d"]\ninterval = "1h"\n'
    )
    found = problems(tmp_path, text, env={}, mode=0o644)
    keys = [p.split(" ", 1)[0] for p in found]
    assert keys == [
        "bogus",
        "stores[0].private_key",
        "stores[0].token",
        "stores[1].platform",
        "stores[1].access_token",
        "stores[2].client_secret",
        "groups[0].stores",
        "groups[0].interval",
        "groups[1].stores",
    ]
    assert "inline-secret-1" not in "\n".join(found)


# --- line finding -----------------------------------------------------------------------


def test_key_lines_follow_tables_and_arrays_of_tables() -> None:
    lines = KeyLines(
        "a = 1\n[http]\nlisten = 2\n[[stores]]\nname = 1\n# x = 1\n[[stores]]\n"
        "name = 2\nsub.key = 3\n[[groups]]\n[groups.defaults]\nto_name = 1\n"
        "[[groups]]\n'quoted' = { x = 1 }\n"
    )
    assert lines.line_of("a") == 1
    assert lines.line_of("http.listen") == 3
    assert lines.line_of("stores[0].name") == 5
    assert lines.line_of("stores[1].name") == 8
    assert lines.line_of("stores[1].sub.key") == 9
    assert lines.line_of("groups[0].defaults.to_name") == 12
    assert lines.line_of("groups[1].quoted.x") == 14  # inside an inline table: its key's line
    assert lines.line_of("stores[1].missing") == 7  # the table's header
    assert lines.line_of("x") is None


def test_settings_constructed_directly_read_syncd_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The one test that touches os.environ (through monkeypatch): BaseSettings' own path.
    monkeypatch.setenv("SYNCD_LOG__LEVEL", "debug")
    monkeypatch.setenv("SYNCD_STORES", "not even json")  # lists are not overridable
    settings = Settings()
    assert settings.log.level == "debug"
    assert settings.stores == []


def test_a_3dcart_timezone_defaults_to_utc_and_an_unknown_one_is_named(tmp_path: Path) -> None:
    store = load(tmp_path, MINIMAL).stores[0]
    assert store.platform == "shift4shop"
    assert store.timezone == "UTC"
    text = MINIMAL.replace('currency = "usd"', 'currency = "usd"\ntimezone = "Mars/Olympus"')
    problem = one_problem(tmp_path, text)
    assert "stores[0].timezone" in problem
    assert "'Mars/Olympus' is not a known IANA time zone" in problem
    text = MINIMAL.replace('currency = "usd"', 'currency = "usd"\ntimezone = "Europe/Paris"')
    paris = load(tmp_path, text).stores[0]
    assert paris.timezone == "Europe/Paris"
    from syncd.platforms.factory import make_connector

    connector = make_connector(paris)
    assert connector._dates._zone.key == "Europe/Paris"  # type: ignore[attr-defined]
