"""The lock of an output folder (access30.base.folderlock): held, taken over, released only by its holder."""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path

import pytest

from access30.base.errors import InputError
from access30.base.folderlock import folder_lock


def _lock(folder: Path, **holder) -> Path:
    path = folder / "handmade.lock"
    path.write_text(json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "started": "2025-06-30T09:00:00",
                                **holder}))
    return path


def test_a_lock_held_on_another_machine_is_refused(tmp_path):
    path = _lock(tmp_path, host="serveur-calcul", pid=1)
    with pytest.raises(InputError, match="sur la machine « serveur-calcul »") as caught, \
            folder_lock(tmp_path, "handmade.lock", "un autre lot national"):
        pass
    assert "s'il ne tourne plus sur « serveur-calcul », supprimez le fichier verrou" in str(caught.value)
    assert path.exists()


def test_an_unreadable_old_lock_is_taken_over(tmp_path):
    path = tmp_path / "handmade.lock"
    path.write_bytes(b"")  # a run killed between creating its lock and writing it
    old = time.time() - 3600
    os.utime(path, (old, old))
    with folder_lock(tmp_path, "handmade.lock") as notices:
        assert json.loads(path.read_text())["pid"] == os.getpid()
    assert notices == [f"Verrou d'un calcul interrompu repris (illisible) : {path}"]
    assert not path.exists()


def test_a_lock_taken_by_another_run_is_not_released_by_this_one(tmp_path):
    with folder_lock(tmp_path, "handmade.lock"):
        path = _lock(tmp_path, pid=12345)  # replaced meanwhile (by hand, or a takeover)
    assert path.exists()
