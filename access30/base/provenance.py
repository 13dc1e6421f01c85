"""What a result was computed from: its options and its input files, fingerprinted.

A figure is only comparable with another computed with the same options from the same files. These
helpers give the pieces of that record, JSON-ready, so that a later run can tell whether a stored
result still holds (:mod:`access30.national.batch` reuses a département's row only when they match):

* :func:`file_fingerprint`: a file's path, size and SHA-256 (hashed in chunks, remembered within the
  process while its size and modification time stay the same);
* :func:`options_record`: the options of a run (a dataclass or a mapping) as plain JSON values.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from pathlib import Path

from access30.base.io import jsonable

#: Bytes read at a time when hashing.
_CHUNK = 1 << 20
#: SHA-256 of the files already hashed by this process, by (path, size, mtime_ns).
_HASHES: dict[tuple[str, int, int], str] = {}


def file_fingerprint(path: str | Path, role: str | None = None) -> dict:
    """A file's path, size and SHA-256.

    Parameters
    ----------
    path : str or Path
    role : str, optional
        What the file is to the run (``"reseau"``, ``"population"``…), kept under ``role``: two runs
        compare the files of the same role, wherever they lie.

    Returns
    -------
    dict
        ``{"path", "size", "sha256"}`` (and ``role``); a missing file has ``size`` and ``sha256``
        None, so that a file that appears later (a grid downloaded into the cache) counts as a
        change too.
    """
    path = Path(path)
    record = {"role": role} if role is not None else {}
    record["path"] = str(path)
    try:
        stat = path.stat()
    except OSError:
        return {**record, "size": None, "sha256": None}
    if not path.is_file():
        return {**record, "size": None, "sha256": None}
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    digest = _HASHES.get(key)
    if digest is None:
        sha = hashlib.sha256()
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(_CHUNK), b""):
                sha.update(chunk)
        digest = _HASHES[key] = sha.hexdigest()
    return {**record, "size": int(stat.st_size), "sha256": digest}


def options_record(options) -> dict:
    """The options of a run as plain JSON values (paths as text, NaN as None).

    Parameters
    ----------
    options : dataclass instance or mapping
        Every field is kept, so that an option added later is recorded (and compared) with no
        further change.
    """
    items = dataclasses.asdict(options) if dataclasses.is_dataclass(options) else dict(options)
    return jsonable({str(k): os.fspath(v) if isinstance(v, os.PathLike) else v for k, v in items.items()})


def same_content(recorded: dict, current: dict) -> bool:
    """Whether two fingerprints describe the same bytes (size and SHA-256; the path may differ)."""
    return recorded.get("size") == current.get("size") and recorded.get("sha256") == current.get("sha256")
