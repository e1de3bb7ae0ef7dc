"""Alembic environment: runs on the engine the workspace hands over, never from an ini file.

On SQLite, foreign keys are not enforced while migrations run: a migration that rebuilds a
table (copy, drop, rename: the only way SQLite changes a constraint) would otherwise delete, by
cascade, every row that refers to the dropped table. They are checked once the migrations are
done, and enforced again.
"""

from alembic import context
from sqlalchemy import Connection

from amparo.errors import WorkspaceError
from amparo.store.tables import Base

engine = context.config.attributes["engine"]


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:  # outside any transaction, where SQLite takes it
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
    try:
        with connection.begin():
            _run(connection)
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").first()
                if broken is not None:
                    raise WorkspaceError(f"a migration broke a foreign key: {tuple(broken)}")
    finally:
        if sqlite:
            connection.rollback()  # nothing left to undo: leaves no transaction open
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()
