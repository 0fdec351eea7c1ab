"""Body of every service's Alembic ``env.py``: runs on the connection the service passes in
(``run_migrations``), or on ``CCER_DB_URL`` / the SQLite default when invoked from the CLI."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context
from sqlalchemy import MetaData

from shared.db import create_engine_for
from shared.settings import Settings

__all__ = ["run_env"]


def _configure_and_run(connection: Any, metadata: MetaData) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_env(metadata: MetaData, service: str) -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection, metadata)
        return

    async def _run() -> None:
        engine = create_engine_for(Settings().database_url(service))
        async with engine.begin() as conn:
            await conn.run_sync(_configure_and_run, metadata)
        await engine.dispose()

    asyncio.run(_run())
