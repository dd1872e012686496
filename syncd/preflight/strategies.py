"""What syncd will do on a store: its capabilities, and how each kind of write is made."""

from __future__ import annotations

from typing import Any

from syncd.model import Capabilities

Rows = tuple[tuple[str, str], ...]


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def capability_rows(caps: Capabilities) -> Rows:
    """The connector's declared capabilities, as (name, value) rows."""
    currencies = ", ".join(sorted(caps.currencies)) if caps.currencies else "as configured"
    return (
        ("read codes", _yes(caps.read_codes)),
        ("choose code", _yes(caps.choose_code)),
        ("set balance", _yes(caps.set_balance)),
        ("set status", _yes(caps.set_status)),
        ("delete", _yes(caps.delete)),
        ("look codes up", _yes(caps.lookup_code)),
        ("max code length", str(caps.max_code_length) if caps.max_code_length else "no limit"),
        ("currencies", currencies),
    )


def strategy_rows(platform: str, caps: Capabilities, settings: Any, group: Any | None) -> Rows:
    """How syncd writes there, given the store's (and its group's) settings."""
    if platform == "shift4shop":
        return _shift4shop(settings)
    if platform == "bigcommerce":
        return (
            ("create", "POST with the certificate's code (20 characters kept)"),
            ("balance", "PUT balance, the answer read back"),
            ("status", "PUT status"),
            ("people", "to/from names and e-mails required: the group's defaults fill gaps"),
        )
    return _sfcc(caps, settings, group)


def _shift4shop(settings: Any) -> Rows:
    recreate = getattr(settings, "balance_write", "put") == "recreate"
    balance = (
        "DELETE + POST of the same code with the new balance (balance_write = recreate)"
        if recreate
        else "PUT Balance, then read back (balance_write = put)"
    )
    return (
        ("create", "POST with the certificate's code"),
        ("balance", balance),
        ("status", "none: disabled/expired are written as balance 0, restored on re-activation"),
        ("dates", f"zone-less, read in {getattr(settings, 'timezone', 'UTC')}"),
    )


def _sfcc(caps: Capabilities, settings: Any, group: Any | None) -> Rows:
    stale = getattr(group, "sfcc_stale_balance", "disable")
    if caps.choose_code:
        create = "companion create with the certificate's code"
        balance = "OCAPI DELETE + companion create of the same code (a new merchant_id)"
        codes = "revealed by the companion"
    else:
        create = "not possible: SFCC cannot choose a code without a companion"
        balance = f"not possible: a balance spent elsewhere applies sfcc_stale_balance = {stale}"
        codes = (
            "hidden; codes the ledger knows are looked up by the Shop API"
            if getattr(settings, "shop_client_id", None)
            else "hidden: SFCC-issued certificates stay unmirrored"
        )
    return (
        ("create", create),
        ("balance", balance),
        ("status", "OCAPI PATCH enabled"),
        ("codes", codes),
    )
