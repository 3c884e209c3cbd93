"""Project storage: SQLAlchemy Core schema, migrations and the engine setup."""

from qualcode.store.database import current_revision, head_revision, open_engine, upgrade
from qualcode.store.schema import metadata

__all__ = ["current_revision", "head_revision", "metadata", "open_engine", "upgrade"]
