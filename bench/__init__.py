"""syncd benchmarks: what one cycle costs as a merchant grows (see bench/README.md)."""
