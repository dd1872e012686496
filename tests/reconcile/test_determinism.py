"""§4.9 determinism: the same ledger view, snapshots, policy and clock give the same plan,
in the same order — whatever order the inputs arrive in. A dry run relies on this."""

from __future__ import annotations

import random

from hypothesis import event, given
from hypothesis import strategies as st

from syncd.model import LedgerCertificate, LedgerLink, RemoteCertificate
from syncd.reconcile import GroupPolicy, Plan, View, plan
from tests.reconcile.helpers import (
    BIGCOMMERCE,
    DEFAULTS,
    NOW,
    SFCC_COMPANION,
    THREEDCART,
    cert,
    link,
    rec,
    snap,
)

CAPS = {"cart": THREEDCART, "bc": BIGCOMMERCE, "sf": SFCC_COMPANION}
CODES = [f"CODE{i:04d}" for i in range(12)]
balances = st.integers(min_value=0, max_value=120)


@st.composite
def worlds(
    draw: st.DrawFn,
) -> tuple[list[LedgerCertificate], list[LedgerLink], dict[str, list[RemoteCertificate]]]:
    """A ledger of some known codes, their links, and listings that moved in random ways."""
    known = draw(st.lists(st.sampled_from(CODES), unique=True, max_size=8))
    certs = [cert(i + 1, code, draw(balances)) for i, code in enumerate(known)]
    links: list[LedgerLink] = []
    listed: dict[str, list[RemoteCertificate]] = {store: [] for store in CAPS}
    for c in certs:
        for store in CAPS:
            if draw(st.booleans()):
                links.append(link(c.id, store, str(c.code), c.balance))
            if draw(st.integers(0, 4)):  # usually still listed, sometimes gone
                listed[store].append(rec(store, c.code, draw(balances)))
    for code in draw(st.lists(st.sampled_from(CODES), unique=True, max_size=4)):
        if code not in known:  # a code first seen this cycle, possibly on several stores
            for store in draw(st.lists(st.sampled_from(sorted(CAPS)), unique=True, min_size=1)):
                listed[store].append(rec(store, code, draw(balances)))
    return certs, links, listed


def _plan(
    certs: list[LedgerCertificate],
    links: list[LedgerLink],
    listed: dict[str, list[RemoteCertificate]],
    complete: bool,
) -> Plan:
    snaps = {store: snap(store, *records, complete=complete) for store, records in listed.items()}
    policy = GroupPolicy(defaults=DEFAULTS, force=True)
    return plan(View({c.id: c for c in certs}, tuple(links)), snaps, CAPS, policy, NOW)


@given(worlds(), st.booleans(), st.randoms(use_true_random=False))
def test_4_9_same_inputs_in_any_order_give_the_same_plan(
    world: tuple[list[LedgerCertificate], list[LedgerLink], dict[str, list[RemoteCertificate]]],
    complete: bool,
    rnd: random.Random,
) -> None:
    certs, links, listed = world
    first = _plan(certs, links, listed, complete)
    certs2, links2 = list(reversed(certs)), list(links)
    rnd.shuffle(links2)
    listed2 = {store: list(records) for store, records in reversed(listed.items())}
    for records in listed2.values():
        rnd.shuffle(records)
    second = _plan(certs2, links2, listed2, complete)
    assert second == first
    assert second.to_json() == first.to_json()
    assert second.describe() == first.describe()
    event(f"actions: {min(len(first.actions), 3)}+")


def test_4_9_a_plan_is_plain_data_that_compares_equal_when_rebuilt() -> None:
    certs = [cert(1, "CODE0001", 50)]
    links = [link(1, s, "CODE0001", 50) for s in CAPS]
    listed = {s: [rec(s, "CODE0001", 40 if s == "bc" else 50)] for s in CAPS}
    assert _plan(certs, links, listed, True) == _plan(certs, links, listed, True)
