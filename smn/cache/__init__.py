"""Read caching for the partner API: last-known-good copies in PostgreSQL, a fresh cache in memory.

See docs/availability.md for what partners see (Age, Cache-Status) and the settings.
"""
from smn.cache.reads import CachedResponse, ReadCache, cached_read

__all__ = ["CachedResponse", "ReadCache", "cached_read"]
