"""The write lock queues writers across threads and processes."""

import os
import subprocess
import sys
import threading
import time
import warnings

from formserver.writelock import WriteLock

HOLD_IN_ANOTHER_PROCESS = """
import sys, time
from formserver.writelock import WriteLock
with WriteLock(sys.argv[1]).held():
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def test_a_writer_waits_while_another_process_holds_the_lock(tmp_path):
    database = str(tmp_path / "f.db")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_IN_ANOTHER_PROCESS, database, "0.5"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "held"

    started = time.monotonic()
    with WriteLock(database).held():
        waited = time.monotonic() - started
    holder.communicate(timeout=30)

    assert waited > 0.2


def test_threads_of_one_process_take_turns(tmp_path):
    lock = WriteLock(str(tmp_path / "f.db"))
    inside, overlaps = [], []

    def write():
        for _ in range(200):
            with lock.held():
                inside.append(1)
                if len(inside) > 1:
                    overlaps.append(len(inside))
                inside.pop()

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert overlaps == []


def test_a_forked_child_does_not_share_its_parents_lock(tmp_path):
    # gunicorn forks its workers from a master that has already written.
    lock = WriteLock(str(tmp_path / "f.db"))
    read, write = os.pipe()

    with lock.held():
        with warnings.catch_warnings():
            # Python 3.12 warns about forking a process that runs threads.
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:  # the child: its parent holds the lock, so this must wait
            with lock.held():
                os.write(write, str(time.monotonic()).encode())
            os._exit(0)
        released = time.monotonic() + 0.3
        time.sleep(0.3)
    os.close(write)
    acquired = float(os.read(read, 64).decode())
    os.waitpid(pid, 0)
    os.close(read)

    assert acquired >= released - 0.05


def test_an_in_memory_database_needs_no_lock_file(tmp_path):
    with WriteLock(":memory:").held():
        pass

    assert list(tmp_path.iterdir()) == []
