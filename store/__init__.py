"""The relational store: schema, engine and session factory, Alembic migrations."""
