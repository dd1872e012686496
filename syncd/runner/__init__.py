"""The cycle runner: fetch → plan → persist → execute for one sync group (DESIGN.md §3, §5)."""
