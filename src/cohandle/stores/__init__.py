"""Event stores: :class:`MemoryStore` in this process, :class:`SQLiteStore` in a file,
:class:`PostgresStore` for several servers (``pip install 'cohandle[postgres]'``).

Every store follows :class:`EventStore` and passes the contract suite in
:mod:`cohandle.testing`; a store of your own calls :func:`refuse_unstorable` and
:func:`refuse_unsealed` on what it is asked to append, before it writes, as these do.
"""

from cohandle.stores._base import EventStore, Positioned, refuse_unsealed, refuse_unstorable
from cohandle.stores._integrity import Problem, StoredRecord, VerifyReport, verify
from cohandle.stores._memory import MemoryStore
from cohandle.stores._postgres import PostgresStore
from cohandle.stores._sqlite import SCHEMA_VERSION, SQLiteStore, StorageError
from cohandle.stores._transfer import ImportRefused, ImportReport, export_jsonl, import_jsonl, read_jsonl

__all__ = [
    "SCHEMA_VERSION",
    "EventStore",
    "ImportRefused",
    "ImportReport",
    "MemoryStore",
    "Positioned",
    "PostgresStore",
    "Problem",
    "SQLiteStore",
    "StorageError",
    "StoredRecord",
    "VerifyReport",
    "export_jsonl",
    "import_jsonl",
    "read_jsonl",
    "refuse_unsealed",
    "refuse_unstorable",
    "verify",
]
