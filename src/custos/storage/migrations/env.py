"""Alembic environment: custos runs migrations on a connection it opened itself.

``custos init`` and ``custos db upgrade`` pass their connection in
``config.attributes["connection"]``, so a migration runs inside the same
transaction discipline (and, on PostgreSQL, as the owner role) as everything
else; there is no ``alembic.ini`` and no URL in this file.
"""

from __future__ import annotations

from alembic import context

from custos.storage.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("custos migrations run through 'custos db upgrade', not the alembic command")

context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
context.run_migrations()
