"""Alembic environment. `bot.db.migrate()` passes an open connection (inside one transaction,
holding the migration lock); the `alembic` command line gets one built from DATABASE_URL."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import bot.db  # noqa: F401  (registers every table on SQLModel.metadata)
from bot.db import ours

config = context.config
target_metadata = SQLModel.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        from bot.db import make_engine
        from bot.settings import Settings

        engine = make_engine(Settings().database_url)
        with engine.begin() as conn:
            _run(conn)
        return
    _run(connection)


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
        include_name=ours,  # the job queue's tables are procrastinate's (0005), not our models'
    )
    with context.begin_transaction():
        context.run_migrations()


run()
