"""Fixtures of the storage tests: the session's private PostgreSQL server (:mod:`.postgres_server`)."""

from __future__ import annotations

from .postgres_server import postgres_server

__all__ = ["postgres_server"]
