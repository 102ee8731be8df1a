"""The PostgreSQL store against a real server: the shared contract and its own guarantees."""

from __future__ import annotations

import pytest

import cohandle
from cohandle.stores import PostgresStore
from cohandle.testing import StoreContract
from helpers import bring_to, workflow


class TestPostgresStore(StoreContract):
    @pytest.fixture(autouse=True)
    def _server(self, postgres_url: str, postgres_schema: str) -> None:
        self.url = postgres_url
        self.schema = postgres_schema
        self.count = 0

    def make_store(self) -> PostgresStore:
        import psycopg

        self.count += 1
        schema = f"{self.schema}_{self.count}"
        with psycopg.connect(self.url, autocommit=True) as db:
            db.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        store = PostgresStore(self.url, schema=schema)
        self._created = getattr(self, "_created", [])
        self._created.append(schema)
        return store

    @pytest.fixture(autouse=True)
    def _cleanup(self) -> object:
        yield
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as db:
            for schema in getattr(self, "_created", []):
                db.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def test_a_whole_case_on_postgres(postgres_url: str, postgres_schema: str) -> None:
    with cohandle.Workflow.open(postgres_url, schema=postgres_schema, clock=workflow().clock) as wf:
        pid = bring_to(wf, cohandle.Status.CLOSED)
        live = wf.get(pid)
    with cohandle.Workflow.open(postgres_url, schema=postgres_schema) as again:
        assert again.get(pid) == live
        assert again.verify().ok


def test_a_newer_schema_is_refused(postgres_url: str, postgres_schema: str) -> None:
    import psycopg

    PostgresStore(postgres_url, schema=postgres_schema).close()
    with psycopg.connect(postgres_url, autocommit=True) as db:
        db.execute(f"UPDATE {postgres_schema}.cohandle_meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(cohandle.SchemaError, match="newer cohandle"):
        PostgresStore(postgres_url, schema=postgres_schema)


def test_bad_connection_and_schema_names_are_clear(postgres_url: str) -> None:
    with pytest.raises(cohandle.InvalidInput, match="plain lower-case SQL name"):
        PostgresStore(postgres_url, schema="x; DROP TABLE y")
    with pytest.raises(
        cohandle.stores.StorageError,
        match="Could not connect to PostgreSQL at postgresql://nobody:\\*\\*\\*@",
    ):
        PostgresStore("postgresql://nobody:secret@127.0.0.1:1/none", connect_timeout=1)
