"""A lock on an output folder, so that two runs never write into it at once.

The lock is a small JSON file created atomically (``O_CREAT | O_EXCL``) in the folder, holding the
process id, the host and the start time of its holder. A lock whose holder is gone (its process no
longer runs on this host, e.g. after a kill or a power cut) is taken over with a notice; a live one
makes the second run stop with an :class:`~access30.base.errors.InputError` saying who holds it and what to
do. The lock is removed on every way out of the ``with`` block (error, Ctrl-C), and only when it is
still the one this process wrote.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from access30.base.errors import InputError

#: A lock file that cannot be read is taken for one being written this long (seconds), then as stale.
_UNREADABLE_GRACE_S = 30.0


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this machine."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it runs, under another user
        return True
    except OSError:
        return False
    return True


def _read(path: Path) -> tuple[bytes, dict | None]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return b"", None
    try:
        holder = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return raw, None
    if not isinstance(holder, dict) or not isinstance(holder.get("pid"), int):
        return raw, None
    return raw, holder


def _when(holder: dict) -> str:
    """« 2025-06-30 à 14:03:05 » from the ISO start time of a lock."""
    started = str(holder.get("started", "?"))
    try:
        moment = datetime.fromisoformat(started)
    except ValueError:
        return started
    return f"{moment.date().isoformat()} à {moment.strftime('%H:%M:%S')}"


def _refuse(folder: Path, path: Path, holder: dict, what: str, option: str) -> InputError:
    host = str(holder.get("host", "?"))
    here = host == socket.gethostname()
    return InputError(
        f"{what} écrit déjà dans le dossier « {folder} » (processus {holder.get('pid')} "
        f"{'sur cette machine' if here else f'sur la machine « {host} »'}, lancé le {_when(holder)})",
        f"attendez qu'il se termine ou arrêtez-le, ou choisissez un autre {option} ; s'il ne tourne plus"
        f"{'' if here else f' sur « {host} »'}, supprimez le fichier verrou {path} et relancez",
        column=option)


@contextlib.contextmanager
def folder_lock(folder: str | Path, name: str, what: str = "un autre calcul",
                option: str = "--out-dir") -> Iterator[list[str]]:
    """Hold the lock ``folder/name`` for the ``with`` block.

    Parameters
    ----------
    folder : str or Path
        An existing folder.
    name : str
        The lock file's name.
    what : str
        What holds such a lock, in French, for the refusal (« un autre lot national »).
    option : str
        The option that names the folder, for the refusal.

    Yields
    ------
    list of str
        Notices, in French (a stale lock taken over).

    Raises
    ------
    InputError
        The lock is held by a process that still runs (or runs on another machine, where it cannot
        be checked), naming the folder, the process, its start time and the fix.
    """
    folder = Path(folder)
    path = folder / name
    mine = {"pid": os.getpid(), "host": socket.gethostname(),
            "started": datetime.now().isoformat(timespec="seconds"), "token": uuid.uuid4().hex}
    text = json.dumps(mine, ensure_ascii=False).encode("utf-8")
    notices: list[str] = []
    for _ in range(5):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            raw, holder = _read(path)
            if holder is None:
                if not raw and not path.exists():
                    continue  # released meanwhile
                try:
                    age = time.time() - path.stat().st_mtime
                except FileNotFoundError:
                    continue
                if age < _UNREADABLE_GRACE_S:  # being written by a run starting right now
                    raise _refuse(folder, path, {"pid": "?", "host": socket.gethostname(),
                                                 "started": "à l'instant"}, what, option) from None
                why = "illisible"
            elif holder.get("host") != socket.gethostname() or pid_alive(int(holder["pid"])):
                raise _refuse(folder, path, holder, what, option) from None
            else:
                why = f"processus {holder['pid']} arrêté, lancé le {_when(holder)}"
            # Take the stale lock over, unless another run has just done so (the file changed).
            if _read(path)[0] == raw:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                notices.append(f"Verrou d'un calcul interrompu repris ({why}) : {path}")
            continue
        try:
            os.write(fd, text)
            os.fsync(fd)
        finally:
            os.close(fd)
        break
    else:
        raw, holder = _read(path)
        raise _refuse(folder, path, holder or {"pid": "?", "started": "?"}, what, option)
    try:
        yield notices
    finally:
        if _read(path)[0] == text:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
