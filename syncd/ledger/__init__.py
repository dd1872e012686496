"""The ledger (DESIGN.md §2–§5): canonical state, merge base, journal, outbox, alerts, cycles.

Open with ``Ledger.open(url)`` (creates or upgrades the schema); read with its query methods;
write inside ``with ledger.transaction() as tx:``.
"""

from syncd.ledger.ledger import Ledger
from syncd.ledger.records import (
    AlertKind,
    AlertRecord,
    CertificateDetail,
    CycleOutcome,
    CycleRecord,
    IntentAction,
    IntentRecord,
    IntentState,
    JournalKind,
    JournalRecord,
    LedgerError,
    LedgerView,
    NewAlert,
    NewIntent,
    NewLedgerCertificate,
)
from syncd.ledger.tx import UNSET, LedgerTx

__all__ = [
    "UNSET",
    "AlertKind",
    "AlertRecord",
    "CertificateDetail",
    "CycleOutcome",
    "CycleRecord",
    "IntentAction",
    "IntentRecord",
    "IntentState",
    "JournalKind",
    "JournalRecord",
    "Ledger",
    "LedgerError",
    "LedgerTx",
    "LedgerView",
    "NewAlert",
    "NewIntent",
    "NewLedgerCertificate",
]
