"""Modes of the files the warehouse writes (docs/design.md, "Files, modes and sharing").

Whatever holds personal data in clear text or the hash key is readable by its owner only: files
0600, directories 0700. What analysts may read (the serving database, the dashboards) is 0640 in
0750 directories, so that a group can be given read access. Nothing here relies on the umask: a
private file is created with its final mode, never first with a wider one.

private_dir(path)                 mkdir (with parents), then exactly 0700
shared_dir(path)                  mkdir (with parents), then 0750 (a setgid bit is kept)
write_private_text(path, text)    write a 0600 file atomically (temporary file, then rename)
create_private(path, create)      let other code (DuckDB) create a file, in a private directory,
                                  then move it into place as 0600
private_opener                    `open(..., opener=private_opener)`: created 0600
make_private(path) / make_shared(path)   chmod an existing file 0600 / 0640
share_tree(root)                  directories 0750, files 0640, under root
secure_home(settings)             every path of $WAREHOUSE_HOME to its mode
"""

from __future__ import annotations

import os
import secrets
import shutil
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from config.settings import Settings

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
SHARED_FILE = 0o640
SHARED_DIR = 0o750


def _chmod_dir(path: Path, mode: int) -> None:
    # chmod(2) with an explicit mode clears a directory's setgid bit; an administrator sets it on
    # a shared directory so that new files inherit its group (docs/design.md): keep it
    keep = stat.S_IMODE(path.stat().st_mode) & stat.S_ISGID
    os.chmod(path, mode | keep)


def private_dir(path: Path) -> Path:
    """`path` as a directory only its owner can enter (0700); missing parents are created with the
    umask's mode. Returns `path`."""
    path = Path(path)
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)  # never wider than 0700, even at once
    os.chmod(path, PRIVATE_DIR)
    return path


def shared_dir(path: Path) -> Path:
    """`path` as a directory its group may read and enter (0750; a setgid bit is kept). Returns
    `path`."""
    path = Path(path)
    path.mkdir(mode=SHARED_DIR, parents=True, exist_ok=True)
    _chmod_dir(path, SHARED_DIR)
    return path


def private_opener(path: str | os.PathLike, flags: int) -> int:
    """An `opener` for `open()`: a file it creates is 0600 from the start; an existing one is made
    0600."""
    fd = os.open(path, flags, PRIVATE_FILE)
    try:
        os.fchmod(fd, PRIVATE_FILE)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _link_into_place(source: Path, target: Path) -> bool:
    """Give `source` the name `target` unless `target` exists (then False)."""
    try:
        os.link(source, target)
    except FileExistsError:
        return False
    except OSError:  # a file system without hard links: rename, as long as nobody was faster
        if target.exists():
            return False
        os.replace(source, target)
    return True


def write_private_text(path: Path, text: str, *, replace: bool = True) -> bool:
    """Write `text` (UTF-8) to `path` as a 0600 file: a temporary file beside it is created 0600
    (O_EXCL), written and synced, then renamed over `path`, so a reader sees the old content or the
    new one and nobody else can read it at any moment. With `replace=False` an existing `path` is
    left as it is and False returned (the first writer of a key wins). The directory must exist."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), PRIVATE_FILE)
    try:
        try:
            os.fchmod(fd, PRIVATE_FILE)  # the umask may have taken bits off; exactly 0600
            os.write(fd, text.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        if replace:
            os.replace(tmp, path)
            return True
        return _link_into_place(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def create_private(path: Path, create: Callable[[Path], None]) -> bool:
    """Have `create(p)` make a new file at `p` (code that picks its own mode, such as DuckDB making
    a database) inside a fresh 0700 directory beside `path`, make it 0600 and move it to `path`.
    Nobody else can open the file at any moment, which a chmod after the fact would not ensure (an
    opened descriptor outlives the chmod). An existing `path` is only made 0600; returns whether
    the file was created."""
    path = Path(path)
    if path.exists():
        make_private(path)
        return False
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".new", dir=path.parent))  # 0700
    try:
        made = staging / path.name
        create(made)
        os.chmod(made, PRIVATE_FILE)
        if _link_into_place(made, path):
            return True
        make_private(path)
        return False
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def make_private(path: Path) -> bool:
    """chmod 0600 an existing file; False when there is none."""
    try:
        os.chmod(path, PRIVATE_FILE)
    except FileNotFoundError:
        return False
    return True


def make_shared(path: Path) -> bool:
    """chmod 0640 an existing file (owner writes, its group reads); False when there is none."""
    try:
        os.chmod(path, SHARED_FILE)
    except FileNotFoundError:
        return False
    return True


def share_tree(root: Path) -> None:
    """Directories 0750 (a setgid bit kept) and files 0640 under `root`, itself included; symbolic
    links are left alone (their mode means nothing)."""
    root = Path(root)
    _chmod_dir(root, SHARED_DIR)
    for folder, dirs, files in os.walk(root):
        for name in dirs:
            if not os.path.islink(os.path.join(folder, name)):
                _chmod_dir(Path(folder, name), SHARED_DIR)
        for name in files:
            if not os.path.islink(os.path.join(folder, name)):
                os.chmod(os.path.join(folder, name), SHARED_FILE)


def duckdb_companions(database: Path) -> tuple[Path, Path]:
    """The write-ahead log and the default spill directory DuckDB keeps beside `database`."""
    return database.with_name(database.name + ".wal"), database.with_name(database.name + ".tmp")


def secure_home(settings: Settings) -> None:
    """Every path of $WAREHOUSE_HOME to its mode (the table in docs/design.md): the home 0750, the
    private directories 0700 (created when missing: a tool that writes into them later finds them
    private), the files with personal data or the key 0600, what analysts read 0640/0750. Also
    repairs a home written by a version that left modes to the umask."""
    home = shared_dir(settings.home)
    for folder in (settings.log_file.parent, settings.dagster_home, settings.dbt_dir):
        private_dir(folder)
    landing = settings.landing
    if landing.is_dir() and landing.is_relative_to(home):  # a folder elsewhere is the sender's to set
        private_dir(landing)
    wal, spill = duckdb_companions(settings.working_db)
    if spill.is_dir():
        private_dir(spill)
    for private in (home / "hash_key", settings.working_db, wal, home / "run.lock"):
        make_private(private)
    for log in settings.log_file.parent.glob(settings.log_file.name + "*"):
        make_private(log)
    make_shared(settings.serving_db)
    versions = home / ".dashboards"  # dashboards/build.py: `dashboards` links to a version in here
    if versions.is_dir():
        share_tree(versions)
