"""Alembic environment: qualcode runs migrations in-process on a connection it hands over.

There is no alembic.ini; `qualcode.store.database.upgrade` builds the Config.
Batch mode lets the same migration scripts alter tables on SQLite.
"""

from alembic import context

from qualcode.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
