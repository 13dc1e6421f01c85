"""What a result was computed from, and the lock of an output folder.

access30.base.provenance, access30.base.folderlock.

Hand-made files (``handmade_*``): the batch tests (tests/test_batch.py) use them on the real data.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import time
from pathlib import Path

import pytest

from access30.base import provenance
from access30.base.errors import InputError
from access30.base.folderlock import folder_lock
from access30.base.provenance import file_fingerprint, options_record


def test_a_fingerfoundis_path_size_and_sha256(tmp_path):
    path = tmp_path / "handmade_input.bin"
    path.write_bytes(b"x" * 3_000_000)  # several chunks
    found = file_fingerprint(path, "reseau")
    assert found == {"role": "reseau", "path": str(path), "size": 3_000_000,
                      "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    assert file_fingerprint(tmp_path / "absent.bin") == {"path": str(tmp_path / "absent.bin"), "size": None,
                                                         "sha256": None}


def test_a_fingerfoundis_hashed_once_while_the_file_is_unchanged(tmp_path, monkeypatch):
    path = tmp_path / "handmade_input.bin"
    path.write_bytes(b"abc")
    first = file_fingerprint(path)
    opened = []
    real_open = open
    monkeypatch.setattr(provenance, "open", lambda *a, **k: opened.append(a) or real_open(*a, **k), raising=False)
    assert file_fingerprint(path) == first and opened == []  # from the process's cache
    path.write_bytes(b"abd")  # same size, new content and modification time
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 1_000_000_000))
    assert file_fingerprint(path)["sha256"] == hashlib.sha256(b"abd").hexdigest() and len(opened) == 1


def test_options_are_recorded_as_json(tmp_path):
    from access30.national.batch import BatchOptions

    record = options_record(BatchOptions(threshold_min=5, networks_dir=tmp_path))
    assert record["threshold_min"] == 5 and record["networks_dir"] == str(tmp_path)
    assert json.loads(json.dumps(record)) == record


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
