"""Engine and session factory for SQLite (development, tests) and PostgreSQL (production)."""

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine.url import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

SessionFactory = async_sessionmaker[AsyncSession]
CONNECT_TIMEOUT_SECONDS = 5
READ_ONLY_OPTION = "read_only"


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _ensure_sqlite_folder(url: str) -> None:
    from pathlib import Path

    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run beside the single writer; busy_timeout makes writers queue
    # instead of failing at once when the API and the worker write together; 30 s outlasts a
    # writer slowed by a loaded machine (a CLI run beside a worker replaying every task).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # A transaction that reads a balance or a free number and then writes must hold the
    # write lock from its first read, or two of them could both see the same state. One that
    # only reads (a `read_only` session) begins deferred: with WAL it reads beside the writer
    # instead of queueing for the lock behind every write.
    if connection.get_execution_options().get(READ_ONLY_OPTION):
        connection.exec_driver_sql("BEGIN")
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_engine(url: str, **options: Any) -> AsyncEngine:
    if is_sqlite(url):
        _ensure_sqlite_folder(url)
        engine = create_async_engine(url, **options)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        return engine
    # A database that does not answer must fail fast, so the API answers 503 and activities
    # retry, instead of every caller hanging on the driver's 60-second connect timeout.
    options.setdefault("connect_args", {"timeout": CONNECT_TIMEOUT_SECONDS})
    options.setdefault("pool_timeout", CONNECT_TIMEOUT_SECONDS)
    options.setdefault("pool_pre_ping", True)
    options.setdefault("pool_size", 10)
    options.setdefault("max_overflow", 10)
    return create_async_engine(url, **options)


def create_session_factory(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, expire_on_commit=False)


def read_only(sessions: SessionFactory) -> SessionFactory:
    """Sessions on the same engine for code that only reads (see `_sqlite_begin`)."""
    engine: AsyncEngine = sessions.kw["bind"]
    return create_session_factory(engine.execution_options(**{READ_ONLY_OPTION: True}))
