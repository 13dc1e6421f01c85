"""The files the app offers, prepared in the background once the figures are final.

When the planner opens the Export tab, the four files of the figures shown (GeoPackage, workbook,
map image, report) start being written as background jobs (:data:`access30.app.jobs.WORK`), keyed
by what they show (study, scenario, threshold, capacity, suggestion); a « Préparer » click then
only waits for its file, which is usually ready. The report reuses the map image when it is ready.
"""

from __future__ import annotations

import math
import shutil
import tempfile
from collections.abc import Hashable
from pathlib import Path

from access30.app.jobs import WORK, Job
from access30.coverage.result import CoverageResult
from access30.inputs.study import Study
from access30.outputs import export
from access30.outputs.maps import png_bytes
from access30.outputs.report import pdf_bytes
from access30.outputs.tables import xlsx_bytes

#: The files, in the order they are started (the map image first: the report reuses it).
KINDS = ("png", "xlsx", "gpkg", "pdf")
LABELS = {"png": "carte", "xlsx": "classeur", "gpkg": "GeoPackage", "pdf": "rapport"}


def gpkg_bytes(result: CoverageResult, communes) -> bytes:
    """The coverage GeoPackage (:func:`access30.outputs.export.write_gpkg`) as bytes."""
    folder = Path(tempfile.mkdtemp(prefix="access30_"))
    try:
        path = folder / "access30.gpkg"
        export.write_gpkg(result, path, communes)
        return path.read_bytes()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def make(kind: str, result: CoverageResult, study: Study, suggestion=None, png: bytes | None = None) -> bytes:
    """One file of ``result`` (``kind`` in :data:`KINDS`); the report uses ``png`` when given."""
    if kind == "gpkg":
        return gpkg_bytes(result, study.communes)
    if kind == "xlsx":
        return xlsx_bytes(result, study, suggestion=suggestion)
    if kind == "png":
        return png_bytes(result, study, suggestion=suggestion)
    if kind == "pdf":
        return pdf_bytes(result, study, suggestion=suggestion,
                         map_png=png if png is not None else png_bytes(result, study, suggestion=suggestion))
    raise ValueError(f"unknown export {kind!r}")


def job(kind: str, context: Hashable, result: CoverageResult, study: Study, suggestion=None) -> Job:
    """The background job writing ``kind`` for ``context`` (started if it is not running or done)."""
    def work(this: Job) -> bytes:
        png = None
        if kind == "pdf":
            image = WORK.get(("export", "png", context))
            if image is not None and not math.isnan(image.started):  # running or done: wait for it
                try:
                    png = image.result()
                except Exception:  # noqa: BLE001 - the report then draws its own map
                    png = None
        return make(kind, result, study, suggestion, png)

    return WORK.submit(("export", kind, context), f"fichier {LABELS[kind]}", work)


def start_all(context: Hashable, result: CoverageResult, study: Study, suggestion=None) -> dict[str, Job]:
    """Start (or find) the jobs of every file for ``context``."""
    return {kind: job(kind, context, result, study, suggestion) for kind in KINDS}
