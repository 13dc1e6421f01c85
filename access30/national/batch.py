"""National batch: every département, one task each, on dask.distributed.

A département is one task (:func:`departement_task`): its study (network from ``--networks-dir``
or downloaded and cached, buffered beyond the border because residents cross it; the 200 m grid
when cached, else communes at their town hall; the built-in site lists), routed and evaluated
twice: with the sites of the département only, and with any site, those of the neighbouring
départements within the buffer included. A task never raises: a département that fails (no
network, bad data) comes back as a row with its error, and the others go on.

:func:`run_batch` sends the tasks to a Dask cluster (a ``LocalCluster`` by default, or the
scheduler at ``--scheduler``) with retries, so that a task whose worker dies is run again. The
client writes each département's row atomically as it arrives (``departements/<code>.json``).

Each row records, under ``run``, the options it was computed with and the files that fed it (path,
size, SHA-256: the network extract, the population grid, the national lists, the shipped inventories
and cached directories; :func:`run_record`), and the row's full run record under ``run.record``
(:class:`access30.base.record.RunRecord`: access30 version and commit, the command line, every option,
every file read with its checksum, the sources with their vintage and download date, package
versions, start, end and duration). A second run with ``resume`` reuses only the rows that
succeeded with the same options from the same files, and says why it computes the others
(:func:`resume_plan`); the national outputs (:mod:`access30.national.outputs`) are built from this run's rows
only. A lock (:func:`batch_folder`) keeps a second batch out of the folder while one runs, and the
temporary files of an interrupted batch are removed when the next one starts.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from tqdm import tqdm

from access30.base.departements import ALL_DEPARTEMENTS, is_departement_code, normalise_departement
from access30.base.download import network_file
from access30.base.errors import InputError, NetworkUnavailableError, headline_notices
from access30.base.files import jsonable, write_text_atomic
from access30.base.fmt import fmt_int, fmt_list, fmt_num, plural
from access30.base.folderlock import folder_lock
from access30.base.io import read_table
from access30.base.record import RunRecord, collecting, file_fingerprint, options_record, same_content
from access30.base.settings import (
    DEFAULT_THRESHOLD_MIN,
    NATIONAL_COMMUNES,
    NATIONAL_FRANCE_SERVICES,
    data_path,
    data_root,
    without_cache_root,
)
from access30.coverage.engine import evaluate, route
from access30.inputs.assemble import StudyRequest, assemble_study
from access30.inputs.communes import departement_communes
from access30.inputs.inventories import InventoryScope, list_sites
from access30.inputs.remote import DEFAULT_VINTAGE, NO_GRID
from access30.inputs.sources._common import cache_folder
from access30.inputs.sources.filosofi import filosofi_cache_path
from access30.inputs.sources.shipped import SHIPPED
from access30.inputs.territory import cached_extract
from access30.network.modes import MODES

#: How far beyond the border roads and sites are taken (residents cross it).
BORDER_BUFFER_M = 20_000.0
#: Status of a département's row.
DONE, FAILED = "ok", "erreur"
#: The lock file of a batch's output folder.
BATCH_LOCK = ".access30-batch.lock"
#: Options naming folders: what they hold is compared through the input files, not their path.
_FOLDER_OPTIONS = ("networks_dir", "cache_dir")


@dataclass(frozen=True)
class BatchOptions:
    """What every task of a batch is asked to do.

    Attributes
    ----------
    threshold_min : float
    mode : str
        Key of :data:`access30.network.modes.MODES`.
    networks_dir : Path, optional
        Folder of extracts named ``<code>.osm.pbf``; a département without one is downloaded (and
        cached) as for ``--departement``.
    partial_network : bool
        The extracts map main roads only.
    cache_dir : Path, optional
        Where downloaded networks are cached.
    buffer_m : float
        Roads and neighbouring sites are taken this far beyond the border.
    """

    threshold_min: float = DEFAULT_THRESHOLD_MIN
    mode: str = "drive"
    networks_dir: Path | None = None
    partial_network: bool = False
    cache_dir: Path | None = None
    buffer_m: float = BORDER_BUFFER_M


@dataclass
class DepartementRow:
    """One département's line of the national table (JSON-ready).

    Attributes
    ----------
    code, status, error : str
        The département, ``ok`` or ``erreur``, and the error in French when it failed.
    population_total, population_covered, population_not_covered : float
        Inhabitants, within the threshold of a site of the département, beyond it (no road included).
    share_covered : float
    warning : str
        The notices that change how the row's figures read (population placed at the town halls, most
        of it outside the network, times mostly estimated, a built-in list missing), shown next to them.
    population_covered_any_site, share_covered_any_site : float
        The same when any site counts, those of neighbouring départements within the buffer included.
    mean_time_min, median_time_min, p90_time_min : float
    estimated_time_share : float
    sites : int
        Sites of the département on the network.
    sites_by_type : dict
    neighbour_sites : int
        Sites of neighbouring départements within the buffer.
    worst_communes : str
        The communes with most people beyond the threshold (« nom (n) »).
    population_source, network_source : str
    sources : list of str
        The study's sources, with their vintages.
    seconds : float
        Wall time of the task.
    peak_rss_mb : float
        Peak resident memory of the worker process so far (MB).
    run : dict
        What the row was computed with (:func:`run_record`): ``options``, ``inputs`` and
        ``neighbours``, and its full run record under ``record``.
    """

    code: str
    status: str = DONE
    error: str = ""
    population_total: float = float("nan")
    population_covered: float = float("nan")
    population_not_covered: float = float("nan")
    share_covered: float = float("nan")
    warning: str = ""
    population_covered_any_site: float = float("nan")
    share_covered_any_site: float = float("nan")
    mean_time_min: float = float("nan")
    median_time_min: float = float("nan")
    p90_time_min: float = float("nan")
    estimated_time_share: float = float("nan")
    sites: int = 0
    sites_by_type: dict = field(default_factory=dict)
    neighbour_sites: int = 0
    worst_communes: str = ""
    population_source: str = ""
    network_source: str = ""
    sources: list = field(default_factory=list)
    seconds: float = 0.0
    peak_rss_mb: float = 0.0
    run: dict = field(default_factory=dict)

    def to_json(self) -> str:
        """The row as JSON (NaN as null)."""
        return json.dumps(jsonable(asdict(self)), ensure_ascii=False, indent=2)


def parse_departements(text: str) -> list[str]:
    """``all`` or a comma-separated list of codes (« 22,29,972 »), normalised and checked.

    Raises
    ------
    InputError
        For an unknown code, naming it.
    """
    if text.strip().lower() in ("all", "tous", "toutes"):
        return list(ALL_DEPARTEMENTS)
    codes = [c.strip() for c in text.split(",") if c.strip()]
    if not codes:
        raise InputError("aucun département indiqué", "écrivez « all » ou des codes séparés par des virgules, "
                         "par ex. 22,29,972", column="--departements")
    bad = [c for c in codes if not is_departement_code(c)]
    if bad:
        raise InputError(f"code de département inconnu « {bad[0]} »", "codes possibles : 01 à 95, 2A, 2B, "
                         "971 à 974, 976", column="--departements")
    return list(dict.fromkeys(normalise_departement(c) for c in codes))


def _network_file(code: str, options: BatchOptions) -> Path | None:
    if options.networks_dir is None:
        return None
    path = Path(options.networks_dir) / f"{code}.osm.pbf"
    return path if path.is_file() else None


def town_halls() -> pd.DataFrame:
    """Every town hall of the national list (arrondissements' too): ``code``, ``departement``, ``lon``, ``lat``."""
    table = read_table(data_path(NATIONAL_COMMUNES))
    table = table[table["type"].isin(["COM", "ARM"])]  # Paris, Lyon, Marseille: their arrondissements' points
    out = pd.DataFrame({"code": table["code"].to_numpy(), "departement": table["departement"].to_numpy(),
                        "lon": pd.to_numeric(table["mairie_lon"], errors="coerce").to_numpy(),
                        "lat": pd.to_numeric(table["mairie_lat"], errors="coerce").to_numpy()})
    return out.dropna(subset=["lon", "lat"]).reset_index(drop=True)


def neighbour_sites(code: str, study, buffer_m: float, cache_dir: Path | None = None):
    """Sites of the départements around ``code`` that lie within ``buffer_m`` of its communes (WGS84).

    ``attrs["departements"]`` lists the départements whose site lists were read.
    """
    national = town_halls()
    crs = study.demand.crs
    own = study.communes.to_crs(crs) if study.communes is not None else study.demand.units
    area = own.geometry.union_all().convex_hull.buffer(buffer_m)
    points = gpd.GeoSeries(gpd.points_from_xy(national["lon"], national["lat"]), crs="EPSG:4326").to_crs(crs)
    near = national.loc[points.within(area).to_numpy() & (national["departement"] != code), "departement"]
    frames = []
    others = sorted(set(near.dropna()))
    for other in others:
        communes, fixes = departement_communes(other)
        scope = InventoryScope(other, town_halls=communes, fixes=tuple(fixes), cache_dir=cache_dir)
        sites = list_sites(other, None, scope=scope).sites  # the same lists as the département's own study
        if len(sites):
            inside = sites.to_crs(crs).geometry.within(area).to_numpy()
            frames.append(sites[inside])
    if not frames:
        found = study.sites.iloc[:0].copy()
    else:
        found = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=study.sites.crs)
    found.attrs["departements"] = others  # whose lists were read (their files fed the row)
    return found


def departement_task(code: str, options: BatchOptions) -> DepartementRow:
    """Coverage of one département (sites of the département only, and any site): a row, never an exception."""
    started = time.perf_counter()
    row = DepartementRow(code=code)
    neighbours: list[str] = []
    request = StudyRequest(departement=code, network=_network_file(code, options),
                           partial_network=options.partial_network, mode=options.mode,
                           cache_dir=options.cache_dir, area_buffer_m=options.buffer_m)
    record = RunRecord.begin("batch", {"batch": options, "study": request}, arguments={"departement": code})
    with collecting() as reads:
        study = _compute(row, code, options, request, neighbours)
    try:  # after the study: a network it downloaded is in the cache now
        row.run = run_record(code, options, neighbours)
    except Exception as exc:  # noqa: BLE001 — the row stands; without its inputs it is computed again on resume
        row.run = {"options": options_record(options), "inputs": [], "neighbours": neighbours,
                   "inputs_error": f"{exc.__class__.__name__} : {exc}"}
    with contextlib.suppress(Exception):  # the record describes the row; it never fails it
        record.add_reads(reads)
        if study is not None:
            record.add_study(study)
        row.run["record"] = record.finish().to_dict()
    row.seconds = round(time.perf_counter() - started, 2)
    row.peak_rss_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1)
    return row


def _compute(row: DepartementRow, code: str, options: BatchOptions, request: StudyRequest, neighbours: list[str]):
    """Fill the row of one département (the study returned), or its error; never raises."""
    study = None
    try:
        study = assemble_study(request)
        result = evaluate(study, route(study), options.threshold_min)
        extra = neighbour_sites(code, study, options.buffer_m, options.cache_dir)
        neighbours[:] = list(extra.attrs.get("departements", []))
        if len(extra):
            wider = study.with_sites(pd.concat([study.sites, extra[study.sites.columns]], ignore_index=True))
            any_site = evaluate(wider, route(wider), options.threshold_min).summary
        else:
            any_site = result.summary
        _fill(row, study, result, any_site, len(extra), options.cache_dir)
    except NetworkUnavailableError:
        row.status = FAILED
        extract = network_file(code, options.cache_dir).destination
        row.error = (f"réseau routier indisponible (pas de connexion et rien en cache) : placez {code}.osm.pbf "
                     f"dans --networks-dir, ou l'extrait régional ici : {extract} (« access30 download "
                     f"--departement {code} --only network » une fois connecté)")
    except InputError as exc:
        row.status, row.error = FAILED, str(exc)
    except Exception as exc:  # noqa: BLE001 — a département's failure must not stop the batch
        row.status, row.error = FAILED, f"erreur inattendue ({exc.__class__.__name__} : {exc})"
    return study


def _fill(row: DepartementRow, study, result, any_site, neighbours: int, cache_dir=None) -> None:
    s = result.summary
    row.population_total = float(s.population_total)
    row.population_covered = float(s.population_covered)
    row.population_not_covered = float(s.population_not_covered)
    row.share_covered = float(s.share_covered)
    # Next to the figure in a national table: the cache written « cache access30 », not a machine's folder.
    row.warning = " ; ".join(without_cache_root(n.short, cache_dir) for n in headline_notices(result.notices))
    row.population_covered_any_site = float(any_site.population_covered)
    row.share_covered_any_site = float(any_site.share_covered)
    row.mean_time_min, row.median_time_min = float(s.mean_time_min), float(s.median_time_min)
    row.p90_time_min, row.estimated_time_share = float(s.p90_time_min), float(s.estimated_time_share)
    row.sites, row.sites_by_type, row.neighbour_sites = int(s.sites_on_network), dict(s.sites_by_type), neighbours
    worst = result.communes[result.communes["not_covered"] >= 0.5].head(3) if not result.communes.empty else []
    row.worst_communes = " ; ".join(f"{r['nom'] or r['commune']} ({round(r['not_covered'])})"
                                    for _, r in (worst.iterrows() if len(worst) else []))
    row.population_source = s.population_label
    row.network_source = s.network_source
    row.sources = list(study.sources)


def row_path(out_dir: Path, code: str) -> Path:
    """Where a département's row is kept."""
    return Path(out_dir) / "departements" / f"{code}.json"


# --------------------------------------------------------------------------------------------
# What a row was computed with

#: Roles of a row's input files and their French names (all masculine) for the resume report.
_INPUT_WORDS = {"reseau": "extrait", "population": "carroyage de population", "communes": "fichier des communes",
                "france_services": "fichier des France Services", "inventaire": "inventaire livré",
                "dila": "annuaire DILA en cache", "data_inclusion": "export data·inclusion en cache"}


def departement_inputs(code: str, options: BatchOptions, neighbours=()) -> list[dict]:
    """The files that feed a département's row, fingerprinted (:func:`access30.base.record.file_fingerprint`).

    The network (the extract of ``--networks-dir``, else the regional extract of the cache), the
    INSEE grid when the département has one (absent from the cache: recorded as absent, the
    population then being placed at the town halls), the national lists of communes and France
    Services, the shipped inventories of the département and of its ``neighbours``, and the cached
    DILA directory and data·inclusion export (their metadata file, rewritten with every refresh).
    A missing file is recorded as such (``size`` None): its appearance is a change too.
    """
    inputs = []
    extract = _network_file(code, options)
    if extract is not None:
        inputs.append(file_fingerprint(extract, "reseau"))
    else:  # downloaded: the regional extract of the cache
        entry = cached_extract(code, options.cache_dir)
        path = entry.path if entry is not None else network_file(code, options.cache_dir).destination
        inputs.append(file_fingerprint(path, "reseau"))
    if code not in NO_GRID:
        inputs.append(file_fingerprint(filosofi_cache_path(code, DEFAULT_VINTAGE, options.cache_dir, create=False),
                                       "population"))
    inputs.append(file_fingerprint(data_root() / NATIONAL_COMMUNES, "communes"))
    inputs.append(file_fingerprint(data_root() / NATIONAL_FRANCE_SERVICES, "france_services"))
    for other in [code, *sorted(set(neighbours) - {code})]:
        if other in SHIPPED:
            inputs.append(file_fingerprint(data_root() / SHIPPED[other].path, f"inventaire:{other}"))
    inputs.append(file_fingerprint(cache_folder("dila", options.cache_dir, create=False) / "dila_meta.json", "dila"))
    inputs.append(file_fingerprint(cache_folder("data_inclusion", options.cache_dir, create=False) / "di_meta.json",
                                   "data_inclusion"))
    return inputs


def run_record(code: str, options: BatchOptions, neighbours=()) -> dict:
    """What a département's row is computed with: ``options`` (every field of :class:`BatchOptions`),
    ``inputs`` (:func:`departement_inputs`) and ``neighbours`` (the départements whose sites counted)."""
    return {"options": options_record(options), "inputs": departement_inputs(code, options, neighbours),
            "neighbours": sorted(set(neighbours))}


def _option_change(key: str, old, new) -> str:
    if key == "threshold_min":
        return f"seuil différent : {_number(old)} → {_number(new)}"
    if key == "mode":
        words = {k: m.label.lower() for k, m in MODES.items()}
        return f"mode différent : {words.get(old, old)} → {words.get(new, new)}"
    if key == "partial_network":
        return f"réseau partiel (routes principales seulement) : {'oui' if old else 'non'} → {'oui' if new else 'non'}"
    if key == "buffer_m":
        return f"zone tampon différente : {_number(old)} → {_number(new)} m"
    return f"option {key} différente : {old} → {new}"


def _number(value) -> str:
    return fmt_num(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)


def reuse_refusal(record, code: str, options: BatchOptions) -> str:
    """Why a stored row cannot stand for this run (French, « ; »-separated), or ``""`` when it can.

    A row stands when it succeeded, and was computed with the same options (the folders of
    ``networks_dir`` and ``cache_dir`` aside: the files they gave are compared instead) from the
    same input files (same size and SHA-256, wherever they lie).
    """
    if not isinstance(record, dict):
        return "ligne illisible"
    if record.get("status") != DONE:
        return "en échec au calcul précédent"
    run = record.get("run")
    if not isinstance(run, dict) or not isinstance(run.get("options"), dict):
        return "ligne sans paramètres (ancienne version)"
    current = options_record(options)
    recorded = run["options"]
    reasons = [_option_change(key, recorded.get(key), current.get(key))
               for key in list(current) + [k for k in recorded if k not in current]
               if key not in _FOLDER_OPTIONS and recorded.get(key) != current.get(key)]
    if reasons:
        return " ; ".join(reasons)
    stored = {i.get("role"): i for i in run.get("inputs") or [] if isinstance(i, dict)}
    if not stored:
        return "fichiers d'entrée non relevés"
    now = {i["role"]: i for i in departement_inputs(code, options, run.get("neighbours") or [])}
    for role in list(now) + [r for r in stored if r not in now]:
        old = stored.get(role, {"size": None, "sha256": None, "path": ""})
        new = now.get(role, {"size": None, "sha256": None, "path": ""})
        if same_content(old, new):
            continue
        noun = _INPUT_WORDS.get(str(role).split(":")[0], "fichier d'entrée")
        if old.get("size") is None:
            reasons.append(f"{noun} apparu : {Path(new['path']).name}")
        elif new.get("size") is None:
            reasons.append(f"{noun} disparu : {Path(old['path']).name}")
        elif Path(old["path"]).name == Path(new["path"]).name:
            reasons.append(f"{noun} modifié : {Path(new['path']).name}")
        else:
            reasons.append(f"{noun} différent : {Path(old['path']).name} → {Path(new['path']).name}")
    return " ; ".join(reasons)


def resume_plan(codes: list[str], options: BatchOptions, out_dir: Path) -> tuple[dict[str, dict], dict[str, str]]:
    """The stored rows this run can reuse, and the départements to compute with the reason why.

    Returns
    -------
    reused : dict
        Code → the row as stored (a dict), for the rows :func:`reuse_refusal` accepts.
    todo : dict
        Code → why it is computed (« pas encore calculé », « seuil différent : 30 → 5 »…), in the
        order of ``codes``.
    """
    reused, todo = {}, {}
    for code in codes:
        path = row_path(out_dir, code)
        if not path.is_file():
            todo[code] = "pas encore calculé"
            continue
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            todo[code] = "ligne illisible"  # a torn file
            continue
        why = reuse_refusal(record, code, options)
        if why:
            todo[code] = why
        else:
            reused[code] = record
    return reused, todo


def read_rows(out_dir: Path, codes: list[str]) -> pd.DataFrame:
    """The rows of ``codes`` that exist, in that order."""
    records = []
    for code in codes:
        path = row_path(out_dir, code)
        if path.is_file():
            records.append(json.loads(path.read_text(encoding="utf-8")))
    return pd.DataFrame(records)


# --------------------------------------------------------------------------------------------
# The output folder


def leftover_files(out_dir: Path) -> list[Path]:
    """Temporary files an interrupted batch left in its folder (:func:`access30.base.io.atomic_path` names them
    ``.<name>.part-…``): those of the national outputs and of the départements' rows."""
    out_dir = Path(out_dir)
    found = list(out_dir.glob(".national.part-*"))
    if (out_dir / "departements").is_dir():
        found += (out_dir / "departements").glob(".*.part-*")
    return sorted(p for p in found if p.is_file() or p.is_symlink())


@contextlib.contextmanager
def batch_folder(out_dir: Path) -> Iterator[list[str]]:
    """Hold a batch's output folder for the ``with`` block: its lock, then the leftovers of an
    interrupted batch removed.

    Yields
    ------
    list of str
        What was done, in French (a stale lock taken over, temporary files removed).

    Raises
    ------
    InputError
        Another batch runs in the folder (:func:`access30.base.folderlock.folder_lock`).
    """
    out_dir = Path(out_dir)
    (out_dir / "departements").mkdir(parents=True, exist_ok=True)
    with folder_lock(out_dir, BATCH_LOCK, "un autre lot national") as notices:
        removed = []
        for path in leftover_files(out_dir):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed.append(path.name)
        if removed:
            notices.append(plural(len(removed), "fichier temporaire", "fichiers temporaires")
                           + " d'un lot interrompu " + ("supprimé" if len(removed) < 2 else "supprimés")
                           + " : " + fmt_list(removed))
        yield notices


@dataclass
class BatchRun:
    """What a batch did.

    Attributes
    ----------
    table : DataFrame
        The national table: the rows of this run's options only (computed now or reused).
    ran, skipped, failed : list of str
        Départements computed, reused from a previous run with the same options and inputs, failed.
    reasons : dict
        Code → why it was computed, when resuming (empty otherwise).
    notices : list of str
        What was done to the folder (a stale lock taken over, temporary files removed).
    """

    table: pd.DataFrame
    ran: list[str]
    skipped: list[str]
    failed: list[str]
    reasons: dict = field(default_factory=dict)
    notices: list = field(default_factory=list)


def resume_report(run: BatchRun) -> list[str]:
    """The lines saying what a resumed batch reused and why it computed the others (French)."""
    lines = [f"Reprise : {plural(len(run.skipped), 'département repris', 'départements repris')}"
             + (" (mêmes paramètres, mêmes fichiers d'entrée)" if run.skipped else "")
             + f", {fmt_int(len(run.ran))} {'recalculé' if len(run.ran) < 2 else 'recalculés'}"
             + (" :" if run.ran else "")]
    by_reason: dict[str, list[str]] = {}
    for code in run.ran:
        by_reason.setdefault(run.reasons.get(code, ""), []).append(code)
    for why, codes in by_reason.items():
        lines.append(f"- {fmt_list(codes, limit=12)} : {why or 'à calculer'}")
    return lines


def run_batch(codes: list[str], options: BatchOptions, out_dir: Path, engine: str = "dask",
              scheduler: str | None = None, resume: bool = False, workers: int | None = None,
              memory_limit: str = "4GB", task=departement_task, progress: bool = True, lock: bool = True,
              say: Callable[[str], None] | None = None, argv: list[str] | None = None) -> BatchRun:
    """Run every département's task and write its row as it arrives; return the national table.

    Parameters
    ----------
    codes : list of str
        Départements, in the order of the national table.
    options : BatchOptions
    out_dir : Path
        Rows go to ``out_dir/departements/<code>.json``.
    engine : {"dask", "local"}
        ``dask``: a ``LocalCluster`` (``workers`` processes of one thread, ``memory_limit`` each) or
        the scheduler at ``scheduler``; ``local``: one after the other in this process (debugging).
    resume : bool
        Reuse the rows already written that succeeded with the same options from the same input
        files (:func:`resume_plan`); compute the others.
    task : callable
        ``task(code, options) -> DepartementRow`` (tests pass a wrapper).
    lock : bool
        Hold the folder (:func:`batch_folder`) for the run; False when the caller holds it already
        (the command line holds it until the national outputs are written).
    say : callable, optional
        Called with each line worth saying before the computation (folder notices, resume report).
    argv : list of str, optional
        The command line, written into each row's run record.

    Raises
    ------
    InputError
        Another batch runs in ``out_dir``.
    """
    if lock:
        with batch_folder(out_dir) as notices:
            for line in notices if say is not None else ():
                say(line)
            run = run_batch(codes, options, out_dir, engine, scheduler, resume, workers, memory_limit, task,
                            progress, lock=False, say=say, argv=argv)
            run.notices[:0] = notices
            return run
    out_dir = Path(out_dir)
    (out_dir / "departements").mkdir(parents=True, exist_ok=True)
    if resume:
        reused, reasons = resume_plan(codes, options, out_dir)
    else:
        reused, reasons = {}, dict.fromkeys(codes, "")
    todo = [c for c in codes if c not in reused]
    if resume and say is not None:
        for line in resume_report(BatchRun(pd.DataFrame(), todo, list(reused), [], reasons)):
            say(line)
    failed: list[str] = []
    fresh: dict[str, dict] = {}

    def keep(row: DepartementRow) -> None:
        row.run.setdefault("options", options_record(options))  # a lost task's row too
        if argv is not None and isinstance(row.run.get("record"), dict):
            row.run["record"]["argv"] = [str(a) for a in argv]
        text = row.to_json()
        write_text_atomic(row_path(out_dir, row.code), text)
        fresh[row.code] = json.loads(text)
        if row.status != DONE:
            failed.append(row.code)

    if todo and engine == "local":
        for code in _progress(todo, progress):
            keep(task(code, options))
    elif todo:
        _run_dask(todo, options, task, keep, scheduler, workers, memory_limit, progress)
    # This run's rows only (never a row another run wrote meanwhile).
    records = [fresh.get(c) or reused.get(c) for c in codes]
    table = pd.DataFrame([r for r in records if r is not None])
    return BatchRun(table=table, ran=todo, skipped=[c for c in codes if c in reused], failed=failed,
                    reasons={c: reasons.get(c, "") for c in todo} if resume else {})


def _progress(items, show: bool):
    if not show:
        return items

    return tqdm(items, desc="Départements", unit="dép.")


def _run_dask(todo, options, task, keep, scheduler, workers, memory_limit, progress) -> None:
    # optional heavy dependency, needed only by the national batch on Dask
    from distributed import Client, LocalCluster, as_completed

    if scheduler:
        try:
            client = Client(scheduler, timeout="20s")
        except OSError as exc:
            raise InputError(f"ordonnanceur Dask injoignable à {scheduler} ({exc.__class__.__name__})",
                             "lancez « dask scheduler » et des « dask worker » (voir README), ou retirez "
                             "--scheduler pour calculer sur cette machine", column="--scheduler") from None
        cluster = None
    else:
        n = workers or max(1, min(len(todo), os.cpu_count() or 1))
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, memory_limit=memory_limit, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    try:
        futures = client.map(task, todo, options=options, retries=2, pure=False, key=[f"dep-{c}" for c in todo])
        bar = _progress(range(len(futures)), progress)
        ticker = iter(bar) if progress else None
        for future in as_completed(futures):
            try:
                row = future.result()
            except Exception as exc:  # noqa: BLE001 — the worker died every retry (memory bound, crash)
                code = future.key.removeprefix("dep-")
                row = DepartementRow(code=code, status=FAILED,
                                     error=f"tâche perdue après 3 essais ({exc.__class__.__name__} : {exc}) ; "
                                           f"vérifiez la mémoire des workers ({memory_limit} chacun)")
            keep(row)
            if ticker is not None:
                next(ticker, None)
        if progress:
            bar.close()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def national_figures(table: pd.DataFrame) -> dict:
    """The country's totals over the départements that succeeded."""
    ok = table[table["status"] == DONE] if len(table) else table
    total = float(ok["population_total"].sum()) if len(ok) else 0.0
    covered = float(ok["population_covered"].sum()) if len(ok) else 0.0
    return {"departements": int(len(table)), "departements_ok": int(len(ok)),
            "departements_failed": int(len(table) - len(ok)), "population_total": total,
            "population_covered": covered, "share_covered": covered / total if total else np.nan}
