"""syncd: keeps gift certificates in sync across storefront platforms."""

__version__ = "0.1.0"
