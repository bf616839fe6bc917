"""Alembic environment: the core's shared runner does the work."""

from core.migrate import run_env

run_env()
