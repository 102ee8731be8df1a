"""Event stores. :class:`MemoryStore` keeps the log in this process."""

from cohandle.stores._base import EventStore, Positioned
from cohandle.stores._memory import MemoryStore

__all__ = ["EventStore", "MemoryStore", "Positioned"]
