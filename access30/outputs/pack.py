"""The handover pack of ``access30 report``: GeoPackage, workbook, CSV tables, PNG map, PDF, JSON.

The pack is written all or nothing (:func:`access30.base.writes.writing_together`): a failed
write leaves the folder as it was.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from access30.base.writes import writing_together
from access30.coverage.result import CoverageResult
from access30.inputs.study import Study
from access30.outputs.export import write_gpkg, write_summary, zones_of
from access30.outputs.maps import write_png
from access30.outputs.report import write_pdf
from access30.outputs.tables import CSV_NAMES, write_csv_tables, write_xlsx
from access30.suggest.suggestion import Suggestion

#: The files of a pack besides its CSV tables (:data:`access30.outputs.tables.CSV_NAMES`), in this order.
REPORT_FILES = ("couverture.gpkg", "tableaux.xlsx", "carte.png", "rapport.pdf", "synthese.json")


def pack_names() -> list[str]:
    """Every file name a pack may hold (so that each can be checked before anything is computed)."""
    return [*REPORT_FILES, *CSV_NAMES.values()]


def write_report(result: CoverageResult, study: Study, out_dir: str | Path, suggestion: Suggestion | None = None,
                 day: date | None = None, map_size: tuple[int, int] = (2000, 1600), record=None) -> list[Path]:
    """Write the handover pack of a coverage result into ``out_dir``, all files or none.

    Parameters
    ----------
    result : CoverageResult
    study : Study
        The study it comes from (sources, outlines, network).
    out_dir : path
        An existing folder.
    suggestion : Suggestion, optional
        New sites suggested, shown in every file of the pack.
    day : date, optional
        Date printed on the report (today by default).
    map_size : (int, int)
        Width and height of the PNG map, pixels.
    record : RunRecord, optional
        How the result was made (:class:`access30.base.record.RunRecord`): the ``run`` of the JSON
        summary, the ``run`` table of the GeoPackage, the « Paramètres du calcul » sheet and CSV, and
        the end of the report's method section.

    Returns
    -------
    list of Path
        The files written.

    Examples
    --------
    >>> import tempfile
    >>> from access30 import StudyRequest, assemble_study, run_coverage, write_report
    >>> study = assemble_study(StudyRequest(territory="st-brieuc-loudeac"))
    >>> folder = tempfile.mkdtemp()
    >>> written = write_report(run_coverage(study), study, folder)
    >>> sorted(p.name for p in written)[:3]
    ['carte.png', 'communes.csv', 'couverture.gpkg']
    """
    out_dir = Path(out_dir)
    day = day or date.today()
    width, height = map_size
    made = zones_of(result, study.communes)  # once for the GeoPackage, the workbook, the tables and the report
    zones = made.zones
    with writing_together([out_dir / name for name in pack_names()]) as pack:
        folder = pack.folder(out_dir)
        gpkg, xlsx, png, pdf, summary = (folder / name for name in REPORT_FILES)
        write_gpkg(result, gpkg, study.communes, suggestion=suggestion, record=record, zones=made)
        write_xlsx(result, xlsx, study, suggestion, zones, day, record)
        tables = write_csv_tables(result, folder, study, suggestion, zones, day, record)
        write_png(result, png, study, width, height, suggestion)
        write_pdf(result, pdf, study, suggestion, report_date=day, zones=zones, record=record)
        write_summary(result, summary, {"suggestion": suggestion.to_summary()} if suggestion is not None else None,
                      record)
    return [out_dir / name for name in REPORT_FILES] + [out_dir / path.name for path in tables]
