"""The files the app offers, prepared in the background once the figures are final.

When the planner opens the Export tab, the four files of the figures shown (GeoPackage, workbook,
map image, report) start being written as background jobs (:data:`access30.app.jobs.WORK`), keyed
by what they show (study, scenario, threshold, capacity, suggestion); a « Préparer » click then
only waits for its file, which is usually ready. The report reuses the map image when it is ready.

The GeoPackage, workbook and report carry the same run record as the command line's
(:func:`access30.coverage.run.app_record`): the typed options the page's controls stand for, the
controls as the planner set them (scenario and suggestion included), the files the study read with
their checksums, the sources, versions and time. It is made once per context, as a job of its own.
"""

from __future__ import annotations

import math
import shutil
import tempfile
from collections.abc import Callable, Hashable
from dataclasses import replace
from pathlib import Path
from typing import Any

from access30.app.jobs import WORK, Job
from access30.app.lenses import Lens
from access30.app.shared import Source
from access30.base.record import RunRecord
from access30.coverage.options import HOURS, CapacityOptions, RunOptions
from access30.coverage.result import CoverageResult
from access30.coverage.run import app_record
from access30.inputs.study import Study
from access30.outputs import export
from access30.outputs.maps import png_bytes
from access30.outputs.report import pdf_bytes
from access30.outputs.tables import xlsx_bytes
from access30.suggest.run import SuggestOptions

#: The files, in the order they are started: the GeoPackage first (the longest on one's own files: it gets a
#: thread as soon as the run record is made), the map image before the report (which reuses it).
KINDS = ("gpkg", "png", "xlsx", "pdf")
LABELS = {"png": "carte", "xlsx": "classeur", "gpkg": "GeoPackage", "pdf": "rapport"}


def run_options(source: Source, mode: str, threshold: float, capacity: bool = False,
                lens: Lens | None = None) -> RunOptions:
    """The typed options the page's controls stand for (those the command line would build): the study, the
    threshold, the lens (a moment, the hours of people at work, a sectorisation) and the capacity."""
    coverage = (lens or Lens()).options(threshold)
    if capacity:
        coverage = replace(coverage, capacity=CapacityOptions(HOURS))
    return RunOptions(source.request_for(mode), coverage)


def suggest_options(question) -> SuggestOptions | None:
    """The typed options of a suggestion asked in the page (:class:`access30.app.suggestions.Question`)."""
    if question is None:
        return None
    return SuggestOptions(model=question.model, k=None if question.model == "cover" else question.k,
                          weight=question.weight, time_limit_s=question.time_limit_s, sources=tuple(question.sources),
                          capacitated=question.capacitated)


def run_record(options: RunOptions, study: Study, settings: dict, question=None) -> RunRecord:
    """The run record of the files of the figures shown: the same as the command line's, « lancé depuis
    l'application », with the page's ``settings`` (French keys) and the suggestion's options when one is shown.

    Examples
    --------
    >>> from access30.app.shared import Source
    >>> from access30.inputs.assemble import load_study
    >>> options = run_options(Source("builtin|st-brieuc-loudeac", territory="st-brieuc-loudeac"), "drive", 20)
    >>> made = run_record(options, load_study(), {"seuil (min)": 20})
    >>> made.command, made.options["coverage"]["threshold_min"]
    ('app', 20.0)
    """
    return app_record(options, study, settings, suggest=suggest_options(question))


def gpkg_bytes(result: CoverageResult, communes, suggestion=None, record: RunRecord | None = None,
               zones: export.Zones | None = None) -> bytes:
    """The coverage GeoPackage (:func:`access30.outputs.export.write_gpkg`) as bytes."""
    folder = Path(tempfile.mkdtemp(prefix="access30_"))
    try:
        path = folder / "access30.gpkg"
        export.write_gpkg(result, path, communes, suggestion=suggestion, record=record, zones=zones)
        return path.read_bytes()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def make(kind: str, result: CoverageResult, study: Study, suggestion=None, png: bytes | None = None,
         record: RunRecord | None = None, zones: export.Zones | None = None) -> bytes:
    """One file of ``result`` (``kind`` in :data:`KINDS`); the report uses ``png`` when given.

    The GeoPackage (its ``run`` table), the workbook (« Paramètres du calcul ») and the report (its
    method section) hold ``record``; they draw the zones blanches ``zones`` when given
    (:func:`access30.outputs.export.zones_of`, made once for the three).
    """
    if kind == "gpkg":
        return gpkg_bytes(result, study.communes, suggestion, record, zones)
    if kind == "xlsx":
        return xlsx_bytes(result, study, suggestion=suggestion, record=record,
                          zones=zones.zones if zones is not None else None)
    if kind == "png":
        return png_bytes(result, study, suggestion=suggestion)
    if kind == "pdf":
        return pdf_bytes(result, study, suggestion=suggestion, record=record,
                         zones=zones.zones if zones is not None else None,
                         map_png=png if png is not None else png_bytes(result, study, suggestion=suggestion))
    raise ValueError(f"unknown export {kind!r}")


def record_job(context: Hashable, options: RunOptions, study: Study, settings: dict, question=None) -> Job:
    """The background job making the run record of ``context`` (once, for every file of it)."""
    return WORK.submit(("record", context), "journal du calcul",
                       lambda this: run_record(options, study, settings, question))


def zones_job(context: Hashable, result: CoverageResult, study: Study, shapes: Callable[[], Any] | None = None) -> Job:
    """The background job making the zones blanches of ``context`` (once, for the GeoPackage, the workbook and
    the report); ``shapes`` gives the study's commune shapes (shared by its thresholds and scenarios)."""
    return WORK.submit(("zones", context), "zones blanches",
                       lambda this: export.zones_of(result, study.communes, shapes() if shapes else None))


def job(kind: str, context: Hashable, result: CoverageResult, study: Study, suggestion=None,
        record: Job | None = None, zones: Job | None = None) -> Job:
    """The background job writing ``kind`` for ``context`` (started if it is not running or done).

    ``record`` is the job of the run record (:func:`record_job`) and ``zones`` that of the zones blanches
    (:func:`zones_job`) the files wait for.
    """
    def work(this: Job) -> bytes:
        made = record.result() if record is not None and kind != "png" else None
        blank = zones.result() if zones is not None and kind != "png" else None
        png = None
        if kind == "pdf":
            image = WORK.get(("export", "png", context))
            if image is not None and not math.isnan(image.started):  # running or done: wait for it
                try:
                    png = image.result()
                except Exception:  # noqa: BLE001 - the report then draws its own map
                    png = None
        return make(kind, result, study, suggestion, png, made, blank)

    return WORK.submit(("export", kind, context), f"fichier {LABELS[kind]}", work)


def start_all(context: Hashable, result: CoverageResult, study: Study, suggestion=None, *,
              options: RunOptions | None = None, settings: dict | None = None, question=None,
              shapes: Callable[[], Any] | None = None) -> dict[str, Job]:
    """Start (or find) the jobs of every file for ``context``, with its run record when ``options`` are given;
    ``shapes`` gives the study's commune shapes (:func:`access30.app.shared.commune_shapes`)."""
    record = None if options is None else record_job(context, options, study, settings or {}, question)
    zones = zones_job(context, result, study, shapes)
    return {kind: job(kind, context, result, study, suggestion, record, zones) for kind in KINDS}
