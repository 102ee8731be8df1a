"""Shared fixtures. PostgreSQL tests read the server's URL from COHANDLE_TEST_POSTGRES_URL; on a
machine without it they skip with that reason, but under CI (CI=true) a missing or unreachable
server fails them."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

POSTGRES_ENV = "COHANDLE_TEST_POSTGRES_URL"


@pytest.fixture(scope="session")
def postgres_url() -> str:
    url = os.environ.get(POSTGRES_ENV)
    in_ci = os.environ.get("CI", "").lower() == "true"
    if not url:
        if in_ci:
            pytest.fail(f"CI=true but {POSTGRES_ENV} is not set: the PostgreSQL tests must run under CI")
        pytest.skip(
            f"set {POSTGRES_ENV} (e.g. postgresql://postgres@127.0.0.1:5432/test) to run the PostgreSQL tests"
        )
    psycopg = pytest.importorskip("psycopg") if not in_ci else __import__("psycopg")
    try:
        psycopg.connect(url, connect_timeout=5).close()
    except psycopg.Error as exc:
        pytest.fail(f"{POSTGRES_ENV}={url} is set but the server does not answer: {exc}")
    return url


@pytest.fixture
def postgres_schema(postgres_url: str) -> Iterator[str]:
    """A fresh, empty schema, dropped after the test."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:16]}"
    yield name
    with psycopg.connect(postgres_url, autocommit=True) as db:
        db.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
