"""Gift registries (DESIGN.md §4.12): neutral model, registry sources, the pure diff, polling.

Read-only on 3dcart today; a platform with writable registries implements
:class:`~syncd.registries.source.RegistryWriter` behind the same model.
"""
