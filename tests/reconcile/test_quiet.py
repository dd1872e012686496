"""The quiet fast path (syncd.reconcile.quiet): setting quiet records aside never changes the
plan, and in a synced group it sets (nearly) everything aside."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from hypothesis import event, given
from hypothesis import strategies as st

from syncd.model import Capabilities, LedgerCertificate, LedgerLink, RemoteCertificate, Snapshot
from syncd.reconcile import GroupPolicy, OnDelete, SfccStalePolicy, View, plan, target_balance
from syncd.reconcile.quiet import Baseline, plan_quietly, set_aside, settle
from tests.reconcile.helpers import (
    ACTIVE,
    BIGCOMMERCE,
    DEFAULTS,
    DISABLED,
    NOW,
    PENDING,
    SFCC,
    SFCC_COMPANION,
    SFCC_REISSUE,
    THREEDCART,
    cert,
    link,
    rec,
    snap,
)

CAPS = {
    "cart": THREEDCART, "bc": BIGCOMMERCE, "sf": SFCC_COMPANION, "lite": SFCC,
    "re": SFCC_REISSUE,
}  # fmt: skip
CODES = [f"Code{i:03d}" for i in range(10)] + ["LONG-CODE-OVER-TWENTY-CHARS"]
PERTURB = (
    "balance", "status", "version", "missing", "no_link", "deleted_link", "code_case",
    "currency", "twin", "other_code", "stale_link", "status_link", "new_copy",
)  # fmt: skip


def _shown(c: LedgerCertificate, store: str, caps: Capabilities) -> RemoteCertificate:
    balance, _ = target_balance(c.balance, c.status, caps)
    status = c.status if caps.has_status else ACTIVE
    code = c.code if caps.read_codes else None
    return replace(rec(store, code, 0, remote_id=f"{store}-{c.id}", status=status), balance=balance)


@st.composite
def synced_worlds(
    draw: st.DrawFn,
) -> tuple[View, dict[str, Snapshot], GroupPolicy]:
    """A ledger in sync with its stores, then a few random disturbances."""
    codes = draw(st.lists(st.sampled_from(CODES), unique=True, min_size=1, max_size=7))
    statuses = st.sampled_from([ACTIVE, ACTIVE, DISABLED, PENDING])
    certs = [
        replace(cert(i + 1, code, draw(st.integers(0, 90))), status=draw(statuses))
        for i, code in enumerate(codes)
    ]
    links: list[LedgerLink] = []
    listed: dict[str, list[RemoteCertificate]] = {store: [] for store in CAPS}
    for c in certs:
        for store, caps in CAPS.items():
            shown = _shown(c, store, caps)
            if store == "bc" and c.code is not None and len(c.code) > 20:
                why = "code longer than the store's 20 characters"
                links.append(link(c.id, store, f"!unmirrorable:{c.code}", None, None,
                                  unmirrorable=why))  # fmt: skip
                continue
            lk = link(c.id, store, shown.remote_id, shown.balance, shown.status)
            what = draw(st.sampled_from(("none",) * 12 + PERTURB))
            event(f"disturbance: {what}")
            if what == "balance":
                shown = replace(shown, balance=shown.balance + draw(st.sampled_from([-5, 3])))
            elif what == "status":
                shown = replace(shown, status=draw(statuses))
            elif what == "version":
                shown = replace(shown, version="v2")
            elif what == "code_case" and shown.code is not None:
                shown = replace(shown, code=shown.code.swapcase())
            elif what == "currency":
                shown = replace(shown, currency="EUR")
            elif what == "stale_link":
                lk = replace(lk, last_balance=Decimal(draw(st.integers(0, 95))))
            elif what == "status_link":
                lk = replace(lk, last_status=draw(statuses))
            elif what == "twin":  # the same code under another id on the same store
                listed[store].append(replace(shown, remote_id=f"{store}-twin-{c.id}"))
            elif what == "other_code":
                other = draw(st.sampled_from(certs))
                if other.code is not None and caps.read_codes:
                    shown = replace(shown, code=other.code)
            elif what == "new_copy":  # a code nobody knows yet, on this store
                listed[store].append(rec(store, f"NEW{c.id}", 10, remote_id=f"{store}-new"))
            if what == "deleted_link":
                lk = replace(lk, deleted=True)
            if what != "no_link":
                links.append(lk)
            if what != "missing":
                listed[store].append(shown)
    complete = draw(st.fixed_dictionaries({s: st.booleans() for s in CAPS}))
    down = draw(st.lists(st.sampled_from(sorted(CAPS)), unique=True, max_size=1))
    snaps = {s: snap(s, *rs, complete=complete[s]) for s, rs in listed.items()}
    for s in down:
        del snaps[s]
    policy = GroupPolicy(
        on_delete=draw(st.sampled_from(OnDelete)),
        sfcc_stale_balance=draw(st.sampled_from(SfccStalePolicy)),
        case_insensitive_codes=draw(st.booleans()),
        defaults=DEFAULTS,
        force=draw(st.booleans()),
        brake_min_changes=1,
    )
    return View({c.id: c for c in certs}, tuple(links)), snaps, policy


@given(synced_worlds())
def test_setting_quiet_records_aside_never_changes_the_plan(
    world: tuple[View, dict[str, Snapshot], GroupPolicy],
) -> None:
    view, snaps, policy = world
    full = plan(view, snaps, CAPS, policy, NOW)
    assert plan_quietly(view, snaps, CAPS, policy, NOW) == full
    baseline = Baseline(view.certificates, view.links, CAPS, policy)
    _, quiet = settle(baseline, *set_aside(baseline, snaps))
    event(f"quiet: {'some' if quiet.certificates else 'none'}")
    event(f"plan: {'held' if full.held else 'empty' if full.is_empty else 'work'}")


def _synced(n: int) -> tuple[View, dict[str, Snapshot]]:
    certs = [cert(i, f"CODE{i:04d}", 10 + i % 50) for i in range(1, n + 1)]
    links, listed = [], {store: [] for store in CAPS}
    for c in certs:
        for store, caps in CAPS.items():
            shown = _shown(c, store, caps)
            links.append(link(c.id, store, shown.remote_id, shown.balance, shown.status))
            listed[store].append(shown)
    return View({c.id: c for c in certs}, tuple(links)), {
        s: snap(s, *rs) for s, rs in listed.items()
    }


def test_a_synced_group_is_quiet_everywhere_and_plans_nothing() -> None:
    view, snaps = _synced(50)
    policy = GroupPolicy(defaults=DEFAULTS)
    baseline = Baseline(view.certificates, view.links, CAPS, policy)
    kept, aside = set_aside(baseline, snaps)
    assert all(not s.certificates for s in kept.values())
    reduced, quiet = settle(baseline, kept, aside)
    assert quiet.certificates == frozenset(view.certificates)
    assert quiet.listed == dict.fromkeys(CAPS, 50)
    assert plan(view, reduced, CAPS, policy, NOW, quiet=quiet).is_empty


def test_one_redemption_puts_that_certificate_back_on_every_store() -> None:
    view, snaps = _synced(5)
    spent = snaps["bc"].certificates[2]
    snaps["bc"] = snap("bc", *(r for r in snaps["bc"].certificates if r is not spent),
                       replace(spent, balance=spent.balance - 1))  # fmt: skip
    policy = GroupPolicy(defaults=DEFAULTS)
    baseline = Baseline(view.certificates, view.links, CAPS, policy)
    reduced, quiet = settle(baseline, *set_aside(baseline, snaps))
    assert quiet.certificates == frozenset({1, 2, 4, 5})
    assert all(len(s.certificates) == 1 for s in reduced.values())  # cert 3, put back
    p = plan(view, reduced, CAPS, policy, NOW, quiet=quiet)
    assert p == plan(view, snaps, CAPS, policy, NOW)
    # lite cannot lower a balance: it is disabled until the balances agree (§4.10)
    assert sorted((a.store, a.kind) for a in p.actions) == [
        ("cart", "set_balance"), ("lite", "set_status"), ("re", "set_balance"),
        ("sf", "set_balance"),
    ]  # fmt: skip


def test_a_store_whose_records_were_all_quiet_is_not_taken_for_emptied() -> None:
    view, snaps = _synced(6)
    policy = GroupPolicy(defaults=DEFAULTS)
    baseline = Baseline(view.certificates, view.links, CAPS, policy)
    reduced, quiet = settle(baseline, *set_aside(baseline, snaps))
    assert not plan(view, reduced, CAPS, policy, NOW, quiet=quiet).held
    emptied = {**snaps, "bc": snap("bc")}  # but a store that really lists nothing is held
    assert plan_quietly(view, emptied, CAPS, policy, NOW).held


def test_a_store_that_is_down_does_not_stop_the_others_being_quiet() -> None:
    view, snaps = _synced(3)
    del snaps["sf"]
    policy = GroupPolicy(defaults=DEFAULTS)
    baseline = Baseline(view.certificates, view.links, CAPS, policy)
    _, quiet = settle(baseline, *set_aside(baseline, snaps))
    assert quiet.certificates == frozenset({1, 2, 3})


def test_each_difference_keeps_a_record() -> None:
    view, snaps = _synced(1)
    policy = GroupPolicy(defaults=DEFAULTS)
    sieve = Baseline(view.certificates, view.links, CAPS, policy).sieve("bc")
    record = snaps["bc"].certificates[0]
    assert sieve(record) == 1
    for change in (
        {"balance": record.balance + Decimal("0.01")}, {"status": DISABLED},
        {"version": "v9"}, {"currency": "EUR"}, {"code": "code0001"}, {"remote_id": "x"},
    ):  # fmt: skip
        assert sieve(replace(record, **change)) is None, change  # type: ignore[arg-type]


def test_certificates_sharing_a_code_key_are_never_quiet_but_the_owner() -> None:
    view, _ = _synced(2)
    twin = replace(view.certificates[2], code="code0001")  # CODE0001 case-insensitively
    view = View({1: view.certificates[1], 2: twin}, view.links)
    policy = GroupPolicy(defaults=DEFAULTS, case_insensitive_codes=True)
    baseline = Baseline(view.certificates, view.links, CAPS, policy)
    assert baseline.eligible == 1
