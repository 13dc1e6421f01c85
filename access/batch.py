"""National batch: every département, one task each, on dask.distributed.

A département is one task (:func:`departement_task`): its study (network from ``--networks-dir``
or downloaded and cached, buffered beyond the border because residents cross it; the 200 m grid
when cached, else communes at their town hall; the built-in site lists), routed and evaluated
twice: with the sites of the département only, and with any site, those of the neighbouring
départements within the buffer included. A task never raises: a département that fails (no
network, bad data) comes back as a row with its error, and the others go on.

:func:`run_batch` sends the tasks to a Dask cluster (a ``LocalCluster`` by default, or the
scheduler at ``--scheduler``) with retries, so that a task whose worker dies is run again. The
client writes each département's row atomically as it arrives (``departements/<code>.json``): a
second run with ``resume`` skips the départements already done and rebuilds the national outputs
(:mod:`access.national`) from the rows.
"""

from __future__ import annotations

import json
import resource
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import InputError, NetworkUnavailableError
from .io import jsonable, write_text_atomic

#: Every département: metropolitan 01–95 (2A, 2B for Corsica, no 20) and the five overseas.
ALL_DEPARTEMENTS = tuple([f"{n:02d}" for n in range(1, 20)] + ["2A", "2B"]
                         + [f"{n:02d}" for n in range(21, 96)] + ["971", "972", "973", "974", "976"])
#: How far beyond the border roads and sites are taken (residents cross it).
BORDER_BUFFER_M = 20_000.0
#: Status of a département's row.
DONE, FAILED = "ok", "erreur"


@dataclass(frozen=True)
class BatchOptions:
    """What every task of a batch is asked to do.

    Attributes
    ----------
    threshold_min : float
    mode : str
        Key of :data:`access.modes.MODES`.
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

    threshold_min: float = 30.0
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
    """

    code: str
    status: str = DONE
    error: str = ""
    population_total: float = float("nan")
    population_covered: float = float("nan")
    population_not_covered: float = float("nan")
    share_covered: float = float("nan")
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
    from .territory import is_departement_code, normalise_departement

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
    from .io import read_table
    from .settings import NATIONAL_COMMUNES, data_path

    table = read_table(data_path(NATIONAL_COMMUNES))
    table = table[table["type"].isin(["COM", "ARM"])]  # Paris, Lyon, Marseille: their arrondissements' points
    out = pd.DataFrame({"code": table["code"].to_numpy(), "departement": table["departement"].to_numpy(),
                        "lon": pd.to_numeric(table["mairie_lon"], errors="coerce").to_numpy(),
                        "lat": pd.to_numeric(table["mairie_lat"], errors="coerce").to_numpy()})
    return out.dropna(subset=["lon", "lat"]).reset_index(drop=True)


def neighbour_sites(code: str, study, buffer_m: float, cache_dir: Path | None = None):
    """Sites of the départements around ``code`` that lie within ``buffer_m`` of its communes (WGS84)."""
    import geopandas as gpd

    from .inventories import InventoryScope, list_sites
    from .territory import departement_communes

    national = town_halls()
    crs = study.demand.crs
    own = study.communes.to_crs(crs) if study.communes is not None else study.demand.units
    area = own.geometry.union_all().convex_hull.buffer(buffer_m)
    points = gpd.GeoSeries(gpd.points_from_xy(national["lon"], national["lat"]), crs="EPSG:4326").to_crs(crs)
    near = national.loc[points.within(area).to_numpy() & (national["departement"] != code), "departement"]
    frames = []
    for other in sorted(set(near.dropna())):
        communes, fixes = departement_communes(other)
        scope = InventoryScope(other, town_halls=communes, fixes=tuple(fixes), cache_dir=cache_dir)
        sites = list_sites(other, None, scope=scope).sites  # the same lists as the département's own study
        if len(sites):
            inside = sites.to_crs(crs).geometry.within(area).to_numpy()
            frames.append(sites[inside])
    if not frames:
        return study.sites.iloc[:0]
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=study.sites.crs)


def departement_task(code: str, options: BatchOptions) -> DepartementRow:
    """Coverage of one département (sites of the département only, and any site): a row, never an exception."""
    from .analysis import evaluate, route
    from .assemble import StudyRequest, assemble_study

    started = time.perf_counter()
    row = DepartementRow(code=code)
    try:
        request = StudyRequest(departement=code, network=_network_file(code, options),
                               partial_network=options.partial_network, mode=options.mode,
                               cache_dir=options.cache_dir, area_buffer_m=options.buffer_m)
        study = assemble_study(request)
        result = evaluate(study, route(study), options.threshold_min)
        extra = neighbour_sites(code, study, options.buffer_m, options.cache_dir)
        if len(extra):
            wider = study.with_sites(pd.concat([study.sites, extra[study.sites.columns]], ignore_index=True))
            any_site = evaluate(wider, route(wider), options.threshold_min).summary
        else:
            any_site = result.summary
        _fill(row, study, result, any_site, len(extra))
    except NetworkUnavailableError:
        row.status = FAILED
        row.error = (f"réseau routier indisponible (pas de connexion à OpenStreetMap et rien en cache) : placez "
                     f"{code}.osm.pbf dans --networks-dir, ou relancez une fois connecté (il sera gardé en cache)")
    except InputError as exc:
        row.status, row.error = FAILED, str(exc)
    except Exception as exc:  # noqa: BLE001 — a département's failure must not stop the batch
        row.status, row.error = FAILED, f"erreur inattendue ({exc.__class__.__name__} : {exc})"
    row.seconds = round(time.perf_counter() - started, 2)
    row.peak_rss_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1)
    return row


def _fill(row: DepartementRow, study, result, any_site, neighbours: int) -> None:
    s = result.summary
    row.population_total = float(s.population_total)
    row.population_covered = float(s.population_covered)
    row.population_not_covered = float(s.population_not_covered)
    row.share_covered = float(s.share_covered)
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


def done_codes(out_dir: Path) -> set[str]:
    """Départements whose row is written and succeeded (a failed one is run again on resume)."""
    folder = Path(out_dir) / "departements"
    done = set()
    for path in folder.glob("*.json") if folder.is_dir() else []:
        try:
            if json.loads(path.read_text(encoding="utf-8")).get("status") == DONE:
                done.add(path.stem)
        except (OSError, ValueError):
            continue  # a torn file: run it again
    return done


def read_rows(out_dir: Path, codes: list[str]) -> pd.DataFrame:
    """The rows of ``codes`` that exist, in that order."""
    records = []
    for code in codes:
        path = row_path(out_dir, code)
        if path.is_file():
            records.append(json.loads(path.read_text(encoding="utf-8")))
    return pd.DataFrame(records)


@dataclass
class BatchRun:
    """What a batch did: the national table and the départements run, skipped and failed."""

    table: pd.DataFrame
    ran: list[str]
    skipped: list[str]
    failed: list[str]


def run_batch(codes: list[str], options: BatchOptions, out_dir: Path, engine: str = "dask",
              scheduler: str | None = None, resume: bool = False, workers: int | None = None,
              memory_limit: str = "4GB", task=departement_task, progress: bool = True) -> BatchRun:
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
        Skip the départements whose row is already written and succeeded.
    task : callable
        ``task(code, options) -> DepartementRow`` (tests pass a wrapper).
    """
    out_dir = Path(out_dir)
    (out_dir / "departements").mkdir(parents=True, exist_ok=True)
    skipped = sorted(done_codes(out_dir) & set(codes)) if resume else []
    todo = [c for c in codes if c not in skipped]
    failed: list[str] = []

    def keep(row: DepartementRow) -> None:
        write_text_atomic(row_path(out_dir, row.code), row.to_json())
        if row.status != DONE:
            failed.append(row.code)

    if todo and engine == "local":
        for code in _progress(todo, progress):
            keep(task(code, options))
    elif todo:
        _run_dask(todo, options, task, keep, scheduler, workers, memory_limit, progress)
    table = read_rows(out_dir, codes)
    return BatchRun(table=table, ran=todo, skipped=skipped, failed=failed)


def _progress(items, show: bool):
    if not show:
        return items
    from tqdm import tqdm

    return tqdm(items, desc="Départements", unit="dép.")


def _run_dask(todo, options, task, keep, scheduler, workers, memory_limit, progress) -> None:
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
        import os

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
