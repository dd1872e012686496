"""Config texts shared by the config and check-config tests."""

from __future__ import annotations

from pathlib import Path

EXAMPLE = Path(__file__).resolve().parent.parent / "config" / "example.toml"

# The variables config/example.toml names at its top, with values that are easy to grep for.
EXAMPLE_ENV = {
    "SYNCD_ADMIN_TOKEN": "admin-tok-9f2c1e",
    "SYNCD_MAIN_3DCART_KEY": "main-key-77ab31",
    "SYNCD_MAIN_3DCART_TOKEN": "main-tok-5d0e42",
    "SYNCD_OUTLET_BC_TOKEN": "bc-tok-c81f09",
    "SYNCD_FLAGSHIP_SFCC_SECRET": "sfcc-sec-3e6a7b",
}

# A small valid config: one store of each platform, one group; secrets via env.
MINIMAL = """\
[[stores]]
name = "s3d"
platform = "shift4shop"
base_url = "https://apirest.3dcart.com"
secure_url = "https://shop.example.com"
private_key = { env = "K3D" }
token = { env = "T3D" }
currency = "usd"

[[stores]]
name = "sbc"
platform = "bigcommerce"
base_url = "https://api.bigcommerce.com"
store_hash = "abc123"
access_token = { env = "TBC" }

[[stores]]
name = "ssf"
platform = "sfcc"
base_url = "https://sf.example.com"
auth_url = "https://account.demandware.com/dw/oauth2/access_token"
site_id = "SiteGenesis"
client_id = "client-1"
client_secret = { env = "SSF" }

[[groups]]
name = "us"
stores = ["s3d", "sbc", "ssf"]
interval = "5m"
"""

MINIMAL_ENV = {
    "K3D": "k3d-secret-value",
    "T3D": "t3d-secret-value",
    "TBC": "tbc-secret-value",
    "SSF": "ssf-secret-value",
}


def write_config(directory: Path, text: str, mode: int = 0o600, name: str = "syncd.toml") -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path
