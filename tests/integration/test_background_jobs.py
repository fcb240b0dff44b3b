"""The server's background work runs as leased jobs in the store (jobs/scheduler.h,
app/background_jobs.h), not as threads of its own: every periodic job is registered at start,
runs on its period, and a stop ends the scheduler promptly."""
from __future__ import annotations

import sqlite3
import time

from conftest import ArcanaServer, wait_for

JOBS = {"secretsmanager.purge", "kms.maintenance", "ssm.expiry", "changes.trim"}


def test_periodic_jobs_are_registered_and_run(tmp_path):
    srv = ArcanaServer(tmp_path / "data", tmp_path / "logs", dev=True,
                       env={"ARCANA_LOG_LEVEL": "debug"})
    srv.start()
    try:
        assert f"job scheduler started" in srv.log_tail(20000)
        # ssm.expiry has the shortest period (10 s): its first run comes one period after start.
        wait_for(lambda: "job ssm.expiry ran" in srv.log_tail(200000), timeout=20,
                 what="the ssm.expiry job to run")
        log = srv.log_tail(200000)
        assert "job ssm.expiry ran" in log and "(ok)" in log, log[-3000:]
        db = srv.data_dir / "arcana.db"
        if db.exists():  # the SQLite backend: the jobs are rows, free between runs
            con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
            try:
                rows = {r[0]: r for r in con.execute(
                    "SELECT name, due_ms, owner, lease_until_ms FROM jobs")}
            finally:
                con.close()
            assert JOBS <= set(rows), rows
            now_ms = time.time() * 1000
            assert rows["ssm.expiry"][1] > now_ms - 1000, rows["ssm.expiry"]  # rescheduled
            assert rows["changes.trim"][1] > now_ms + 3000 * 1000, rows["changes.trim"]
    finally:
        start = time.monotonic()
        assert srv.stop() == 0
        assert time.monotonic() - start < 5, "the scheduler delayed the stop"
