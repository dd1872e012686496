"""``syncd preflight``: a merchant measures their own stores before syncd writes there."""
