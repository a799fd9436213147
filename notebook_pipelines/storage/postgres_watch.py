"""Hearing of records other processes write to a PostgreSQL event log: :class:`Watcher`.

A daemon thread holds its own connection, ``LISTEN``\\ s on
:data:`~.postgres_event_log.CHANNEL` and waits on the socket (``select``, half-second ticks to
notice :meth:`Watcher.stop`). Each commit of an event-log batch notifies ``run_id writer first
last`` per run; a notification from another writer makes the watcher read that run's rows in
``[first, last]`` and hand each record to the callback, in order. The delay is the commit's
round trip plus one query: milliseconds on a LAN.

When the connection is lost (a server restart), the watcher reconnects (with backoff, for as long
as it runs) and catches up: for each run it has delivered records of, the rows after the last one
it delivered (other writers only), so nothing committed meanwhile is missed.
"""

from __future__ import annotations

import logging
import select
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..events import EventRecord

if TYPE_CHECKING:
    from .postgres_base import PostgresDatabase
    from .postgres_event_log import PostgresEventLogStorage

_log = logging.getLogger(__name__)

#: Seconds between two checks whether the watcher was stopped.
TICK_S = 0.5


class Watcher:
    """Delivers the records other writers commit to ``storage``'s database to ``callback``."""

    def __init__(
        self,
        db: PostgresDatabase,
        storage: PostgresEventLogStorage,
        callback: Callable[[EventRecord], object],
    ) -> None:
        self._db = db
        self._storage = storage
        self.callback = callback
        self._stopped = threading.Event()
        self._last_id: dict[str, int] = {}  # run id -> last row id delivered
        self._listening = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="notebook-pipelines postgres watcher", daemon=True
        )

    def start(self, timeout: float = 10.0) -> None:
        """Start the thread; return once it listens (so no later commit is missed)."""
        self._thread.start()
        self._listening.wait(timeout)

    def stop(self) -> None:
        self._stopped.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(TICK_S * 4)

    def _run(self) -> None:
        from .postgres_base import is_connection_error
        from .postgres_event_log import CHANNEL

        delay = 0.05
        caught_up = True
        while not self._stopped.is_set():
            conn: Any = None
            try:
                conn = self._db.connect()
                conn.execute(f"LISTEN {CHANNEL}")
                self._listening.set()
                if not caught_up:
                    self._catch_up(conn)
                caught_up = True
                delay = 0.05
                self._listen(conn)
            except Exception as error:
                if not is_connection_error(error):
                    _log.exception("The PostgreSQL watcher of %s stopped", self._db.where)
                    self._listening.set()
                    return
                caught_up = False
                self._stopped.wait(delay)
                delay = min(delay * 2, 2.0)
            finally:
                if conn is not None:
                    try:
                        conn.close()
                    except Exception:
                        pass

    def _listen(self, conn: Any) -> None:
        pgconn = conn.pgconn
        own = self._storage.writer_id
        # Notifications that arrive while this connection runs a query are taken by psycopg and
        # given to the handlers; the others are read from the socket below.
        payloads: list[str] = []
        conn.add_notify_handler(lambda notify: payloads.append(notify.payload))
        while not self._stopped.is_set():
            if not payloads:
                ready, _, _ = select.select([pgconn.socket], [], [], TICK_S)
                if not ready:
                    continue
                pgconn.consume_input()
                if pgconn.status != 0:  # CONNECTION_OK
                    raise conn_lost(conn)
                while (notify := pgconn.notifies()) is not None:
                    payloads.append(notify.extra.decode())
            wanted: list[tuple[str, int, int]] = []
            while payloads:
                try:
                    run_id, writer, first, last = payloads.pop(0).rsplit(" ", 3)
                except ValueError:
                    continue
                if writer != own:
                    wanted.append((run_id, int(first), int(last)))
            for run_id, first_id, last_id in wanted:
                rows = conn.execute(
                    "SELECT id, event FROM event_logs WHERE run_id = %s AND id BETWEEN %s AND %s "
                    "ORDER BY id",
                    (run_id, first_id, last_id),
                ).fetchall()
                self._deliver(run_id, rows)

    def _catch_up(self, conn: Any) -> None:
        own = self._storage.writer_id
        for run_id, last in list(self._last_id.items()):
            rows = conn.execute(
                "SELECT id, event FROM event_logs WHERE run_id = %s AND id > %s "
                "AND writer IS DISTINCT FROM %s ORDER BY id",
                (run_id, last, own),
            ).fetchall()
            self._deliver(run_id, rows)

    def _deliver(self, run_id: str, rows: list[Any]) -> None:
        last = self._last_id.get(run_id, -1)
        for row_id, text in rows:
            if row_id <= last:
                continue
            last = row_id
            try:
                record = self._storage.record(run_id, row_id, text)
                self.callback(record)
            except Exception:
                _log.exception("A record of run %s from %s could not be delivered", run_id, "pg")
        self._last_id[run_id] = last
        time.sleep(0)  # let the callback's consumers run


def conn_lost(conn: Any) -> Exception:
    """The error of a watcher connection that went bad (a connection error: retried)."""
    from .postgres_base import import_psycopg

    psycopg = import_psycopg()
    return psycopg.OperationalError(f"the watcher's connection was lost ({conn.pgconn.status})")
