"""Output-folder lock and durable writes for batch scoring and export (torch-free, POSIX only).

The lock is an `flock` on `<output>/.toxic-small-batch.lock`, held for the whole run. The kernel drops it when the
holding process exits or is killed, so a lock file left behind by a crash is stale by construction: the next run
simply takes it (no manual cleanup, no pid guessing). A second run while the first is alive gets LockError naming
the holder. On NFS, Linux maps flock to NFS byte-range locks, which other clients of the same server see.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

LOCK_NAME = ".toxic-small-batch.lock"


class LockError(ValueError):
    """The output folder is locked by another live run, or no lock can be created there."""


def fsync_file(path: Path) -> None:
    """Flush a written file's data to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(folder: Path) -> None:
    """Flush a folder's entries (new names, renames) to disk, so a finished file survives a power cut."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _holder(fd: int) -> str:
    with contextlib.suppress(OSError):
        text = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
        if text:
            return text
    return "holder unknown"


def _acquire(path: Path) -> int:
    """An fd holding the lock on the file now at `path` (retried if its holder removed it meanwhile)."""
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            raise LockError(f"{path.parent}: cannot create the lock file {path.name} ({e.strerror})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            raise LockError(
                f"{path.parent}: another batch run is writing to this output folder ({holder}); wait for it to "
                "finish or choose another --output"
            ) from None
        with contextlib.suppress(FileNotFoundError):
            here, now = os.fstat(fd), os.stat(path)
            if (here.st_dev, here.st_ino) == (now.st_dev, now.st_ino):
                return fd
        os.close(fd)  # we locked a file its last holder had just removed: take the new one instead


@contextlib.contextmanager
def output_lock(folder: Path) -> Iterator[Path]:
    """Hold the batch lock of `folder` for the duration of the block; LockError if another live run holds it."""
    path = folder / LOCK_NAME
    fd = _acquire(path)
    try:
        os.ftruncate(fd, 0)
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        os.write(fd, f"pid {os.getpid()} on {socket.gethostname()} since {stamp}\n".encode())
        yield path
    finally:
        path.unlink(missing_ok=True)  # still locked while removed: a waiting run then sees a new file
        os.close(fd)
