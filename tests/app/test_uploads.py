"""Uploaded files: hashed once per upload, written once per content, old folders removed."""

from __future__ import annotations

import hashlib

from access30.app import uploads


class HandmadeUpload:
    """What Streamlit hands the page for an uploaded file (name, size, content, id); counts reads."""

    def __init__(self, name: str, content: bytes, file_id: str):
        self.name, self.content, self.file_id, self.size, self.reads = name, content, file_id, len(content), 0

    def getvalue(self) -> bytes:
        self.reads += 1
        return self.content


def test_digest_once_and_saved_once(tmp_path, monkeypatch):
    monkeypatch.setattr(uploads, "FOLDER", tmp_path / "uploads")
    upload = HandmadeUpload("population.csv", b"code,pop\n22001,10\n", "id-1")
    first = uploads.digest(upload)
    assert first == hashlib.sha256(upload.content).hexdigest()
    assert uploads.digest(upload) == first and upload.reads == 1  # a rerun does not hash it again
    path = uploads.saved(upload, first)
    assert path.read_bytes() == upload.content and path.name == "population.csv"
    stamp = path.stat().st_mtime_ns
    again = HandmadeUpload("population.csv", upload.content, "id-2")  # the same file uploaded again
    assert uploads.saved(again, uploads.digest(again)) == path and path.stat().st_mtime_ns == stamp


def test_old_upload_folders_removed(tmp_path, monkeypatch):
    monkeypatch.setattr(uploads, "FOLDER", tmp_path / "uploads")
    monkeypatch.setattr(uploads, "KEEP", 2)
    paths = []
    for i in range(4):
        upload = HandmadeUpload("f.csv", f"contenu {i}".encode(), f"id-{i}")
        paths.append(uploads.saved(upload, uploads.digest(upload)))
    assert len(list((tmp_path / "uploads").iterdir())) == 2
    assert paths[-1].exists() and not paths[0].exists()
