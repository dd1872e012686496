"""Platform connectors: one module per platform, behind :class:`base.Connector`."""
