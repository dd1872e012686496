"""Ledger fixtures (``ledger_url``, ``ledger``): SQLite always, PostgreSQL with SYNCD_TEST_PG_URL."""
