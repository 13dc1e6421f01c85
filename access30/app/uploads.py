"""Uploaded files: read once, hashed once, written once.

Streamlit hands the page every uploaded file at every rerun. Its content is hashed once per upload
(remembered in the session by the upload's id) and written once, under its own name, to a folder
named by that hash (:data:`FOLDER`), which the study then reads. The same file uploaded again, by
this planner or another, is neither hashed nor written again, and leads to the same (shared)
study. Only the newest :data:`KEEP` folders are kept.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

import streamlit as st

#: Where uploaded files are written, one folder per content hash.
FOLDER = Path(tempfile.gettempdir()) / "access30_uploads"
#: Upload folders kept (the oldest are removed).
KEEP = 12
#: Upload hashes remembered per session.
REMEMBERED = 16


def digest(upload) -> str:
    """SHA-256 of an uploaded file's content (hex), computed once per upload in the session.

    Parameters
    ----------
    upload : streamlit UploadedFile
        Anything with ``name``, ``size``, ``getvalue()`` and (as Streamlit's) ``file_id``.
    """
    known = st.session_state.setdefault("_upload_digests", {})
    key = (getattr(upload, "file_id", None) or id(upload), upload.name, upload.size)
    if key not in known:
        if len(known) >= REMEMBERED:
            known.pop(next(iter(known)))
        known[key] = hashlib.sha256(upload.getvalue()).hexdigest()
    return known[key]


def saved(upload, content_digest: str) -> Path:
    """The uploaded file on disk under its own name, written once (in the folder of its content's hash)."""
    folder = FOLDER / content_digest[:32]
    path = folder / Path(upload.name).name
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(dir=folder, prefix=".upload_")
        with os.fdopen(handle, "wb") as out:
            out.write(upload.getvalue())
        os.replace(tmp, path)
        _tidy(folder)
    return path


def _tidy(keep: Path) -> None:
    """Remove the oldest upload folders beyond :data:`KEEP` (never ``keep``)."""
    try:
        folders = sorted((p for p in FOLDER.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime)
    except OSError:
        return
    for old in folders[:max(0, len(folders) - KEEP)]:
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)
