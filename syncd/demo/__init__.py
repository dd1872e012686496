"""``syncd demo``: the three sandboxes, a temporary SQLite ledger, the real daemon, and a few
customers — each step shown converging across the stores (:mod:`syncd.demo.scenario`)."""
