"""Many writer threads, another process holding the lock, a full disk, and ``kill -9``."""

from __future__ import annotations

import gc
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from storage import DatabaseLockedError, DiskFullError, OrderStatus, Storage, StorageError
from tests.storage.conftest import SYMBOL, T0
from tests.support import REPO_ROOT

THREADS = 8
ROUNDS = 30


def test_concurrent_writers_from_many_threads(storage: Storage) -> None:
    """Each thread runs the order life cycle; nothing is lost, no sequence number repeats."""
    start = threading.Barrier(THREADS + 1)
    errors: list[BaseException] = []
    sequences: list[int] = []
    client_ids: list[str] = []
    sequences_lock = threading.Lock()
    stop_reading = threading.Event()

    def writer(worker: int) -> None:
        try:
            start.wait()
            for round_ in range(ROUNDS):
                seq = storage.next_sequence("order")
                client_id = f"bot-{worker}-entry-{seq}"
                with sequences_lock:
                    sequences.append(seq)
                    client_ids.append(client_id)
                storage.record_order_intent(
                    client_order_id=client_id, symbol=SYMBOL, kind="entry", order_type="MARKET",
                    side="BUY", quantity=1.0, correlation_id=f"corr-{worker}-{round_}",
                )  # fmt: skip
                with storage.atomic():
                    storage.record_fill(
                        exchange_trade_id=seq, symbol=SYMBOL, side="BUY", price=100.0, qty=1.0,
                        fee=0.01, fee_asset="USDC", ts_ms=T0 + seq, client_order_id=client_id,
                    )  # fmt: skip
                    storage.update_order(client_id, status="filled", filled_qty=1.0, avg_price=100.0)
                storage.record_event("filled", client_id, details={"worker": worker})
                storage.set_state(f"worker-{worker}", round_)
        except BaseException as exc:  # reported to the main thread below
            errors.append(exc)

    def reader() -> None:
        try:
            start.wait()
            while not stop_reading.is_set():
                storage.open_orders_known()
                storage.recent_events(5)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(index,)) for index in range(THREADS - 1)]
    threads.append(threading.Thread(target=reader))
    for thread in threads:
        thread.start()
    start.wait()
    for thread in threads[:-1]:
        thread.join(timeout=60)
    stop_reading.set()
    threads[-1].join(timeout=10)

    assert errors == []
    writers = THREADS - 1
    total = writers * ROUNDS
    assert sorted(sequences) == list(range(1, total + 1))
    assert storage.next_sequence("order") == total + 1
    assert storage.open_orders_known() == ()
    assert len(storage.recent_events(10 * total)) == total
    assert all(storage.get_state(f"worker-{index}") == ROUNDS - 1 for index in range(writers))
    orders = [storage.order_by_client_id(client_id) for client_id in client_ids]
    assert len(orders) == total
    assert all(order is not None and order.status is OrderStatus.FILLED for order in orders)
    assert all(len(storage.fills_for_order(client_id)) == 1 for client_id in client_ids)


def test_connections_of_finished_threads_are_released(storage: Storage) -> None:
    """Actor restarts start new threads; their connections must not pile up for weeks."""

    def one_write(index: int) -> None:
        storage.record_event("thread", f"thread {index}")

    for index in range(20):
        worker = threading.Thread(target=one_write, args=(index,))
        worker.start()
        worker.join()
    gc.collect()
    assert len(storage._db._connections) <= 2  # this thread's, maybe the last worker's not yet collected
    assert len(storage.recent_events(100)) == 20


def _python(code: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=REPO_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def test_lock_held_by_another_process_raises_a_clear_error(db_path: Path) -> None:
    with Storage.open(db_path, busy_timeout_s=0.2) as storage:
        storage.record_event("before", "committed before the lock")
        holder = _python(
            f"""
            import sqlite3, sys
            conn = sqlite3.connect({str(db_path)!r}, isolation_level=None)
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO runtime_state (key, value, updated_ms) VALUES ('other', '1', 0)")
            print("locked", flush=True)
            sys.stdin.readline()
            conn.execute("ROLLBACK")
            """
        )
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
            with pytest.raises(DatabaseLockedError) as excinfo:
                storage.record_event("during", "cannot be written while the other process holds the lock")
            message = str(excinfo.value)
            assert str(db_path) in message and "record event" in message and "locked" in message
            assert excinfo.value.operation == "record event" and excinfo.value.sqlite_error == "SQLITE_BUSY"
            # WAL: reading still works while another process writes.
            assert [event.kind for event in storage.recent_events()] == ["before"]
        finally:
            assert holder.stdin is not None
            holder.stdin.write("\n")
            holder.stdin.flush()
            holder.wait(timeout=10)
        storage.record_event("after", "the lock is gone")
        assert [event.kind for event in storage.recent_events()] == ["before", "after"]


def test_full_disk_raises_a_clear_error_and_keeps_committed_data(storage: Storage) -> None:
    for index in range(3):
        storage.record_event("kept", f"event {index}")
    # Fault injection: cap this thread's connection at the current size, as a full disk would.
    pages = storage._db.execute_sql("PRAGMA page_count").fetchone()[0]
    storage._db.execute_sql(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(DiskFullError) as excinfo:
        for index in range(200):
            storage.record_event("filler", f"event {index}", details={"blob": "x" * 4000})
    message = str(excinfo.value)
    assert str(storage.path) in message and "record event" in message and "disk full" in message
    assert isinstance(excinfo.value, StorageError) and excinfo.value.sqlite_error == "SQLITE_FULL"
    # SQLite rolled the transaction back itself; the chained cause is the real error, not a failed ROLLBACK.
    assert "full" in str(excinfo.value.__cause__)
    kinds = [event.kind for event in storage.recent_events(1000)]
    assert kinds[:3] == ["kept"] * 3
    assert storage.get_state("anything", "fine") == "fine", "reads keep working"
    storage._db.execute_sql("PRAGMA max_page_count = 1073741823")  # space freed again
    storage.record_event("recovered", "writes work again")
    assert storage.recent_events(1)[0].kind == "recovered"


_CRASHING_WRITER = """
    import sys, time
    from storage import Storage
    storage = Storage.open({path!r})
    storage.record_order_intent(client_order_id="committed-1", symbol="BTC/USDC:USDC", kind="entry",
                                order_type="MARKET", side="BUY", quantity=1.0)
    for index in range(100_000):
        storage.record_event("progress", str(index))
        if index == 300:
            print("acknowledged", index, flush=True)
            break
    with storage.atomic():
        storage.record_order_intent(client_order_id="uncommitted-2", symbol="BTC/USDC:USDC", kind="entry",
                                    order_type="MARKET", side="BUY", quantity=1.0)
        storage.next_sequence("order")
        print("in transaction", flush=True)
        time.sleep(60)
"""


def test_kill_9_loses_nothing_committed_and_nothing_uncommitted_appears(db_path: Path) -> None:
    Storage.open(db_path).close()
    writer = _python(_CRASHING_WRITER.format(path=str(db_path)))
    try:
        assert writer.stdout is not None
        assert writer.stdout.readline().split() == ["acknowledged", "300"]
        assert writer.stdout.readline().strip() == "in transaction"
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=10)
    assert writer.returncode == -signal.SIGKILL
    assert Path(f"{db_path}-wal").exists(), "the crash left the write-ahead log behind"

    with Storage.open(db_path) as storage:  # runs quick_check: the file is intact
        assert storage.order_by_client_id("committed-1") is not None
        assert storage.order_by_client_id("uncommitted-2") is None
        assert len(storage.recent_events(1000)) == 301
        assert storage.next_sequence("order") == 1, "the sequence step of the killed transaction is gone"
