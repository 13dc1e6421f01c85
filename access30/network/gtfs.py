"""Reading a GTFS feed into array timetables, one service day at a time.

A feed (zip) is read once with :func:`read_feed` into a validated :class:`Feed`: stops, routes,
trips and stop times as NumPy arrays, the service calendar as arrays, and :class:`FeedMetadata`
(agencies, validity period, counts). :func:`timetable_for_date` then gives the :class:`Timetable`
of one service date, the input of :mod:`access30.routing.transit`; :func:`choose_date` turns a French moment
such as ``"mardi 09:00"`` into a concrete, typical date of the feed.

Library
-------
The files are read with **gtfs-kit** (13.x). Of the two maintained readers, gtfs-kit had a release
in 2026 and reads this project's pandas 3 without trouble: typed nullable columns
(``pickup_type`` → Int32, times kept as text), byte-order marks and blank column names handled,
and a ``frequencies.txt`` expansion (:func:`gtfs_kit.miscellany.expand_frequencies`) that we reuse.
partridge's last release is 1.1.2 (December 2023); under pandas 3 it read ``pickup_type`` as
integers but ``drop_off_type`` as text in the same file, and its date filtering is built around
"the busiest date", which is not what a planner asks for. The calendar (which services run on a
date) is computed here with arrays rather than with gtfs-kit's per-date functions, because choosing
a typical date needs the trip count of every date of the period (699 dates on Car Jaune: 1 ms with arrays,
3 s date by date with gtfs-kit); a test checks both agree.

Conventions
-----------
* Times are integer seconds since midnight of the service date; GTFS times past 24:00:00 (a trip
  of Monday's service running at 00:30 on Tuesday is written ``24:30:00``) are kept as such.
  :func:`timetable_for_date` also brings in the previous service date's trips that run after
  midnight, shifted by −24 h, so that a window at 00:30 sees them.
* Missing intermediate times (allowed by GTFS at stops that are not timepoints) are interpolated
  along the trip, by ``shape_dist_traveled`` when the trip has it everywhere, else evenly by stop
  order; their number is reported in the metadata.
* ``pickup_type`` / ``drop_off_type`` 1 (no pickup / no drop-off) are respected; 2 and 3 (phone the
  agency, arrange with the driver) are treated as allowed.
* Every problem found is raised as :class:`access30.base.errors.InputError`, in French, naming the file,
  the column and the data row (1-based, header excluded) when there is one.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from access30.base.crs import to_projected
from access30.base.errors import InputError
from access30.base.fmt import fmt_int
from access30.base.io import binary_format
from access30.base.moments import parse_when

#: Files without which no timetable can be built (plus calendar.txt or calendar_dates.txt).
REQUIRED_FILES = ("stops.txt", "routes.txt", "trips.txt", "stop_times.txt")
#: Columns required in each file.
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "stops.txt": ("stop_id", "stop_lat", "stop_lon"),
    "routes.txt": ("route_id",),
    "trips.txt": ("route_id", "service_id", "trip_id"),
    "stop_times.txt": ("trip_id", "stop_id", "stop_sequence", "arrival_time", "departure_time"),
    "calendar.txt": ("service_id", "monday", "tuesday", "wednesday", "thursday", "friday",
                     "saturday", "sunday", "start_date", "end_date"),
    "calendar_dates.txt": ("service_id", "date", "exception_type"),
    "frequencies.txt": ("trip_id", "start_time", "end_time", "headway_secs"),
}
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY_FR = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_TIME = re.compile(r"^\s*(\d{1,3}):([0-5]\d):([0-5]\d)\s*$")
#: A served stop farther than this from every other served stop is taken as misplaced.
ISOLATED_STOP_KM = 500.0
_DAY_S = 86_400


def fr_date(day: date) -> str:
    """``21/01/2025``."""
    return day.strftime("%d/%m/%Y")


@dataclass(frozen=True)
class FeedMetadata:
    """What a feed is, for reports and messages.

    Attributes
    ----------
    path : str
        The feed file.
    agencies : tuple of str
        Agency names (``agency.txt``), empty when the file is absent.
    start, end : date
        Validity period: ``feed_info.txt`` when it gives one, else the earliest and latest dates of
        ``calendar.txt`` and ``calendar_dates.txt``.
    period_source : str
        ``"feed_info"`` or ``"calendar"``.
    first_service, last_service : date or None
        First and last dates on which at least one trip runs.
    n_stops : int
        Stops served by at least one trip.
    n_routes, n_trips : int
        Routes and trips (after expanding ``frequencies.txt``).
    n_frequency_trips : int
        Trips generated from ``frequencies.txt``.
    n_headway_trips : int
        Of those, trips of ``exact_times=0`` rows, whose exact times the agency does not publish.
    n_interpolated_times : int
        Stop times left blank in the feed and interpolated.
    """

    path: str
    agencies: tuple[str, ...]
    start: date
    end: date
    period_source: str
    first_service: date | None
    last_service: date | None
    n_stops: int
    n_routes: int
    n_trips: int
    n_frequency_trips: int = 0
    n_headway_trips: int = 0
    n_interpolated_times: int = 0

    def period_fr(self) -> str:
        """``du 01/01/2025 au 30/11/2026``."""
        return f"du {fr_date(self.start)} au {fr_date(self.end)}"

    def describe_fr(self) -> str:
        """One French line for reports."""
        agencies = ", ".join(self.agencies) if self.agencies else "réseau sans agence déclarée"
        text = (f"{agencies} : {fmt_int(self.n_stops)} arrêts desservis, {fmt_int(self.n_routes)} lignes, "
                f"{fmt_int(self.n_trips)} courses ; validité {self.period_fr()}")
        if self.n_frequency_trips:
            text += f" ; {fmt_int(self.n_frequency_trips)} courses déduites des fréquences"
            if self.n_headway_trips:
                text += f" (dont {fmt_int(self.n_headway_trips)} à horaires non garantis, exact_times=0)"
        if self.n_interpolated_times:
            text += f" ; {fmt_int(self.n_interpolated_times)} horaires de passage interpolés"
        return text


@dataclass(frozen=True, eq=False)
class Feed:
    """A validated GTFS feed as arrays (every service date).

    Stop times are stored trip by trip in stop-sequence order (CSR layout): the stop times of trip
    ``t`` are rows ``st_offsets[t]:st_offsets[t + 1]``. Times are seconds since midnight of the
    service date.

    Attributes
    ----------
    metadata : FeedMetadata
    stop_ids, stop_names : ndarray of str
        All stops of ``stops.txt`` (stations included).
    stop_lon, stop_lat : ndarray of float
        WGS84; NaN for nodes without coordinates (entrances, generic nodes).
    route_ids, route_short_names, route_long_names : ndarray of str
    trip_ids : ndarray of str
    trip_route, trip_service : ndarray of int32
        Index of each trip's route and service.
    service_ids : ndarray of str
    st_offsets : ndarray of int64, shape (n_trips + 1,)
    st_stop : ndarray of int32
        Stop index of each stop time.
    st_arr, st_dep : ndarray of int32
        Arrival and departure, seconds since midnight of the service date.
    st_pickup, st_dropoff : ndarray of bool
        Whether boarding / alighting is allowed there.
    cal_start, cal_end : ndarray of int64
        Per service, first and last date (proleptic ordinals) of its ``calendar.txt`` row; an empty
        range (start > end) when it has none.
    cal_days : ndarray of bool, shape (n_services, 7)
        Per service, the weekdays of its ``calendar.txt`` row (Monday first).
    exc_service, exc_date, exc_added : ndarray
        ``calendar_dates.txt`` rows: service index, date ordinal, True when added (type 1).
    """

    metadata: FeedMetadata
    stop_ids: np.ndarray
    stop_names: np.ndarray
    stop_lon: np.ndarray
    stop_lat: np.ndarray
    route_ids: np.ndarray
    route_short_names: np.ndarray
    route_long_names: np.ndarray
    trip_ids: np.ndarray
    trip_route: np.ndarray
    trip_service: np.ndarray
    service_ids: np.ndarray
    st_offsets: np.ndarray
    st_stop: np.ndarray
    st_arr: np.ndarray
    st_dep: np.ndarray
    st_pickup: np.ndarray
    st_dropoff: np.ndarray
    cal_start: np.ndarray
    cal_end: np.ndarray
    cal_days: np.ndarray
    exc_service: np.ndarray
    exc_date: np.ndarray
    exc_added: np.ndarray

    @property
    def n_trips(self) -> int:
        """Number of trips."""
        return len(self.trip_ids)

    def active_services(self, day: date) -> np.ndarray:
        """Boolean mask of the services running on ``day`` (calendar + calendar_dates)."""
        return self._service_matrix(np.array([day.toordinal()]))[:, 0]

    def active_trips(self, day: date) -> np.ndarray:
        """Boolean mask of the trips running on service date ``day``."""
        return self.active_services(day)[self.trip_service]

    def trips_per_date(self, start: date | None = None, end: date | None = None) -> pd.Series:
        """Number of trips running on each date of ``[start, end]`` (the validity period by default).

        Returns
        -------
        Series
            Indexed by ``datetime.date``, integer counts.
        """
        start = start or self.metadata.start
        end = end or self.metadata.end
        days = np.arange(start.toordinal(), end.toordinal() + 1)
        per_service = np.bincount(self.trip_service, minlength=len(self.service_ids))
        counts = per_service @ self._service_matrix(days).astype(np.int64)
        return pd.Series(counts, index=[date.fromordinal(int(d)) for d in days], name="trips")

    def exception_dates(self) -> set[date]:
        """Dates named in ``calendar_dates.txt`` (for any service)."""
        return {date.fromordinal(int(d)) for d in np.unique(self.exc_date)}

    def _service_matrix(self, days: np.ndarray) -> np.ndarray:
        """Boolean (n_services, n_days) activity for date ordinals ``days``."""
        weekday = (days - 1) % 7  # date.fromordinal(1) is a Monday
        active = ((self.cal_start[:, None] <= days[None, :]) & (days[None, :] <= self.cal_end[:, None])
                  & self.cal_days[:, weekday])
        if len(self.exc_date):
            col = np.searchsorted(days, self.exc_date)
            hit = (col < len(days)) & (days[np.minimum(col, len(days) - 1)] == self.exc_date)
            active[self.exc_service[hit], col[hit]] = self.exc_added[hit]
        return active


@dataclass(frozen=True, eq=False)
class Timetable:
    """The trips of one service date, as arrays: the input of the transit router.

    Same CSR layout as :class:`Feed` (``st_offsets``), restricted to the trips running that day.
    Trips of the previous service date still running after midnight are included with their times
    shifted by −24 h (``trip_previous_day`` is True for them), so every time is seconds since
    midnight of :attr:`day`.

    Attributes
    ----------
    day : date
    metadata : FeedMetadata
    stop_ids, stop_names, stop_lon, stop_lat : ndarray
        All stops of the feed (indexes shared with :class:`Feed`).
    route_ids, route_short_names, route_long_names : ndarray of str
        All routes of the feed.
    trip_ids : ndarray of str
    trip_route : ndarray of int32
    trip_previous_day : ndarray of bool
    st_offsets, st_stop, st_arr, st_dep, st_pickup, st_dropoff : ndarray
    """

    day: date
    metadata: FeedMetadata
    stop_ids: np.ndarray
    stop_names: np.ndarray
    stop_lon: np.ndarray
    stop_lat: np.ndarray
    route_ids: np.ndarray
    route_short_names: np.ndarray
    route_long_names: np.ndarray
    trip_ids: np.ndarray
    trip_route: np.ndarray
    trip_previous_day: np.ndarray
    st_offsets: np.ndarray
    st_stop: np.ndarray
    st_arr: np.ndarray
    st_dep: np.ndarray
    st_pickup: np.ndarray
    st_dropoff: np.ndarray

    @property
    def n_trips(self) -> int:
        """Number of trips."""
        return len(self.trip_ids)

    @property
    def n_stops(self) -> int:
        """Number of stops of the feed."""
        return len(self.stop_ids)

    def served_stops(self) -> np.ndarray:
        """Indexes of the stops where at least one trip of the day stops."""
        return np.unique(self.st_stop)

    def stops_xy(self, crs: str) -> tuple[np.ndarray, np.ndarray]:
        """Stop coordinates projected to ``crs`` (metres); NaN for stops without coordinates."""
        return to_projected(self.stop_lon, self.stop_lat, crs)

    def subset(self, trip_mask: np.ndarray) -> "Timetable":
        """The same day restricted to the trips where ``trip_mask`` is True."""
        return _select_trips(self, np.asarray(trip_mask, dtype=bool), self.day,
                             previous_day=self.trip_previous_day[trip_mask])


@dataclass(frozen=True)
class ChosenDate:
    """A concrete date chosen for a moment of the week.

    Attributes
    ----------
    day : date
    weekday : int
        0 = Monday.
    minute : int
        Minutes since midnight of the moment asked for.
    n_trips : int
        Trips running that date.
    reason : str
        Why this date, in French.
    """

    day: date
    weekday: int
    minute: int
    n_trips: int
    reason: str


# --------------------------------------------------------------------------------------------
# Reading


def read_feed(path: str | Path) -> Feed:
    """Read and validate a GTFS feed (zip file or folder of ``.txt`` files).

    Parameters
    ----------
    path : str or Path
        The feed.

    Returns
    -------
    Feed
        Validated arrays; ``frequencies.txt`` expanded into trips.

    Raises
    ------
    InputError
        Missing file or column, unreadable value, unknown reference, stop without plausible
        coordinates, times decreasing along a trip. The message names file, column and row.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("flux GTFS introuvable", "vérifiez le chemin du fichier .zip", path=path)
    try:
        return _read_feed(path)
    except InputError as exc:
        # A message names the member (stops.txt…): say which feed it belongs to as well.
        if exc.path is not None and Path(exc.path) != path and path.name not in exc.problem:
            exc = InputError(f"{exc.problem} (flux GTFS « {path.name} »)", exc.fix, exc.path, exc.row, exc.column)
        raise exc from None


def _read_feed(path: Path) -> Feed:
    """:func:`read_feed` of an existing path (its errors name the member file only)."""
    tables = _read_tables(path)
    for name in REQUIRED_FILES:
        if tables.get(name) is None:
            raise InputError(f"le fichier {name} manque (ou est vide) dans le flux GTFS {path.name}",
                             "un flux GTFS doit contenir stops.txt, routes.txt, trips.txt, stop_times.txt "
                             "et calendar.txt ou calendar_dates.txt", path=path / name)
    if tables.get("calendar.txt") is None and tables.get("calendar_dates.txt") is None:
        raise InputError(f"ni calendar.txt ni calendar_dates.txt dans le flux GTFS {path.name}",
                         "sans calendrier on ne sait pas quels jours circulent les courses",
                         path=path / "calendar.txt")
    for name, columns in REQUIRED_COLUMNS.items():
        if tables.get(name) is not None:
            _require_columns(tables[name], name, columns, path)

    stops = tables["stops.txt"]
    stop_index = _index(stops["stop_id"], "stops.txt", "stop_id", path)
    routes = tables["routes.txt"]
    route_index = _index(routes["route_id"], "routes.txt", "route_id", path)
    trips = tables["trips.txt"]
    trip_index = _index(trips["trip_id"], "trips.txt", "trip_id", path)

    n_freq = n_headway = 0
    if tables.get("frequencies.txt") is not None:
        # Check the stop times as written (so that rows named in messages are the file's rows),
        # then replace each template trip by its departures.
        _stop_time_arrays(tables["stop_times.txt"], stop_index, trip_index, len(trips), path)
        tables, n_freq, n_headway = _expand_frequencies(tables, path)
        trips = tables["trips.txt"]
        trip_index = _index(trips["trip_id"], "trips.txt", "trip_id", path)
    trip_route = _lookup(trips["route_id"], route_index, "trips.txt", "route_id", "routes.txt", path)

    service_ids, cal_start, cal_end, cal_days, exc = _read_calendar(tables, trips, path)
    service_index = pd.Index(service_ids)
    trip_service = service_index.get_indexer(trips["service_id"].astype(str)).astype(np.int32)

    st = tables["stop_times.txt"]
    st_arrays, n_interp = _stop_time_arrays(st, stop_index, trip_index, len(trips), path)
    served = np.unique(st_arrays["stop"])
    lon, lat = _stop_coordinates(stops, served, path)

    # Trips without any stop time cannot run: drop them rather than keep empty rows.
    counts = np.diff(st_arrays["offsets"])
    n_routes_used = len(np.unique(trip_route[counts > 0]))
    start, end, source = _validity_period(tables, cal_start, cal_end, exc[1], path)
    feed = Feed(
        metadata=FeedMetadata(path=str(path), agencies=_agencies(tables), start=start, end=end,
                              period_source=source, first_service=None, last_service=None,
                              n_stops=len(served), n_routes=n_routes_used, n_trips=int((counts > 0).sum()),
                              n_frequency_trips=n_freq, n_headway_trips=n_headway,
                              n_interpolated_times=n_interp),
        stop_ids=stops["stop_id"].astype(str).to_numpy(),
        stop_names=_text(stops, "stop_name"),
        stop_lon=lon, stop_lat=lat,
        route_ids=routes["route_id"].astype(str).to_numpy(),
        route_short_names=_text(routes, "route_short_name"),
        route_long_names=_text(routes, "route_long_name"),
        trip_ids=trips["trip_id"].astype(str).to_numpy(),
        trip_route=trip_route, trip_service=trip_service, service_ids=np.asarray(service_ids, dtype=object),
        st_offsets=st_arrays["offsets"], st_stop=st_arrays["stop"], st_arr=st_arrays["arr"],
        st_dep=st_arrays["dep"], st_pickup=st_arrays["pickup"], st_dropoff=st_arrays["dropoff"],
        cal_start=cal_start, cal_end=cal_end, cal_days=cal_days,
        exc_service=exc[0], exc_date=exc[1], exc_added=exc[2],
    )
    return _with_service_range(feed)


def _read_tables(path: Path) -> dict[str, pd.DataFrame | None]:
    """Every GTFS table of the feed, read by gtfs-kit (None when absent or empty)."""
    import gtfs_kit  # optional heavy dependency, needed only for a timetable study

    _check_members(path)
    try:
        feed = gtfs_kit.read_feed(path, dist_units="km")
    except zipfile.BadZipFile:
        what = binary_format(path)
        raise InputError(f"ce fichier est {what}, pas un flux GTFS (archive .zip)" if what else
                         "le fichier n'est pas une archive zip lisible", "fournissez le flux GTFS tel que "
                         "publié (un .zip contenant stops.txt, trips.txt…)", path=path) from None
    except (ValueError, TypeError) as exc:
        # gtfs-kit reads with typed columns: a text in a numeric column fails for the whole file.
        _raise_bad_number(path)
        _raise_unreadable(path, exc)
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        _raise_unreadable(path, exc)
    names = {"stops.txt": feed.stops, "routes.txt": feed.routes, "trips.txt": feed.trips,
             "stop_times.txt": feed.stop_times, "calendar.txt": feed.calendar,
             "calendar_dates.txt": feed.calendar_dates, "frequencies.txt": feed.frequencies,
             "agency.txt": feed.agency, "feed_info.txt": feed.feed_info}
    return {name: (None if df is None or df.empty else df.reset_index(drop=True)) for name, df in names.items()}


def _members(path: Path):
    """(name, bytes) of each GTFS table file of the feed that gtfs-kit reads (zip members or the
    folder's files), lazily; an unreadable archive or member raises an InputError naming it."""
    from gtfs_kit import constants  # optional heavy dependency, needed only for a timetable study

    tables = set(constants.DTYPES)
    if path.is_dir():
        for file in sorted(path.glob("*.txt")):
            if file.stem in tables and file.stat().st_size:
                yield file.name, file.read_bytes()
        return
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError):
        raise InputError("le fichier n'est pas une archive zip lisible (tronqué, ou pas un .zip)",
                         "fournissez le flux GTFS tel que publié (un .zip contenant stops.txt, trips.txt…)",
                         path=path) from None
    with archive:
        for info in archive.infolist():
            name = Path(info.filename).name
            if info.is_dir() or not info.file_size or not name.endswith(".txt") or Path(name).stem not in tables:
                continue
            try:
                data = archive.read(info)
            except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError) as exc:
                raise InputError(f"fichier corrompu dans l'archive du flux GTFS « {path.name} » "
                                 f"({exc.__class__.__name__} : {exc})",
                                 "téléchargez à nouveau le flux : l'archive est abîmée", path=path / name) from None
            yield name, data


def _check_members(path: Path) -> None:
    """Check that every table file of the feed is UTF-8 CSV with no row longer than its header.

    pandas would either fail with a parser error (a quote left open) or, worse, shift the values of a
    row with extra fields into the wrong columns; the message names the member and the data row.

    Raises
    ------
    InputError
        Archive or member unreadable, text not UTF-8, a quote left open, a row with more fields than
        the header.
    """
    for name, data in _members(path):
        member = path / name
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[:exc.start].count(b"\n")  # header = line 0, so this is the data row
            raise InputError(f"texte non UTF-8 (octet {data[exc.start]:#04x} illisible) : fichier corrompu, ou "
                             "encodé autrement", "réenregistrez le fichier en UTF-8, ou téléchargez "
                             "à nouveau le flux GTFS", path=member, row=line or None) from None
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        try:
            header = next(reader, None)
            if header is None:
                continue
            width = len(header)
            row = 0
            for row, fields in enumerate(reader, start=1):
                if len(fields) > width:
                    raise InputError(f"{len(fields)} valeurs au lieu de {width} (colonnes de l'en-tête) : "
                                     "virgule en trop, ou guillemet mal fermé", "corrigez la ligne (un "
                                     "texte contenant une virgule s'écrit entre guillemets)", path=member, row=row)
        except csv.Error as exc:
            raise InputError(f"texte illisible à partir de cette ligne ({exc}) : guillemet jamais refermé, ou "
                             "fichier tronqué", "corrigez le fichier ou téléchargez à nouveau le flux GTFS",
                             path=member, row=row + 1) from None


def _read_text_table(data: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, encoding="utf-8-sig")


def _raw_tables(path: Path) -> dict[str, pd.DataFrame]:
    """The tables as plain text, to locate a value that typed reading rejected."""
    return {name: _read_text_table(data) for name, data in _members(path)}


def _raise_unreadable(path: Path, exc: Exception) -> None:
    """Raise an InputError for a feed gtfs-kit could not read: naming the member that plain text
    reading also fails on, else the feed itself."""
    for name, data in _members(path):
        try:
            _read_text_table(data)
        except (ValueError, UnicodeDecodeError) as error:  # pandas' ParserError is a ValueError
            raise InputError(f"fichier illisible dans le flux GTFS « {path.name} » ({error.__class__.__name__} : "
                             f"{str(error).strip()})", "corrigez le fichier, ou téléchargez à nouveau le flux GTFS",
                             path=path / name) from None
    raise InputError(f"flux GTFS « {path.name} » illisible ({exc.__class__.__name__} : {str(exc).strip()})",
                     "vérifiez le flux avec un validateur GTFS (par ex. celui de transport.data.gouv.fr)",
                     path=path) from None


def _raise_bad_number(path: Path) -> None:
    """Find the first non-numeric value in a numeric GTFS column and raise an InputError on it."""
    from gtfs_kit import constants  # optional heavy dependency, needed only for a timetable study

    try:
        tables = _raw_tables(path)
    except (ValueError, UnicodeDecodeError):  # a member unreadable even as text: _raise_unreadable says which
        return
    for name, frame in tables.items():
        frame.columns = [c.strip() for c in frame.columns]
        dtypes = constants.DTYPES.get(Path(name).stem, {})
        for column, kind in dtypes.items():
            if column not in frame.columns or str(kind) in ("string", "str", "object"):
                continue
            text = frame[column].str.strip()
            bad = (text != "") & pd.to_numeric(text, errors="coerce").isna()
            if bad.any():
                row = int(np.flatnonzero(bad.to_numpy())[0])
                raise InputError(f"valeur « {frame[column].iloc[row]} » non numérique",
                                 "corrigez la valeur (un nombre est attendu)",
                                 path=path / name, row=row + 1, column=column)


def _require_columns(frame: pd.DataFrame, name: str, columns: tuple[str, ...], path: Path) -> None:
    for column in columns:
        if column not in frame.columns:
            raise InputError("colonne obligatoire absente", f"ajoutez la colonne {column} à {name}",
                             path=path / name, column=column)


def _index(ids: pd.Series, name: str, column: str, path: Path) -> pd.Index:
    """Index of an id column; missing or duplicate ids are errors."""
    text = ids.astype("string")
    if text.isna().any():
        row = int(np.flatnonzero(text.isna().to_numpy())[0])
        raise InputError("identifiant vide", "chaque ligne doit avoir un identifiant",
                         path=path / name, row=row + 1, column=column)
    dup = text.duplicated()
    if dup.any():
        row = int(np.flatnonzero(dup.to_numpy())[0])
        raise InputError(f"identifiant « {text.iloc[row]} » en double", "chaque identifiant doit être unique",
                         path=path / name, row=row + 1, column=column)
    return pd.Index(text.astype(str).to_numpy())


def _lookup(values: pd.Series, index: pd.Index, name: str, column: str, target: str, path: Path) -> np.ndarray:
    """Positions of ``values`` in ``index``; an unknown reference is an error."""
    pos = index.get_indexer(values.astype("string").fillna("").astype(str).to_numpy())
    if (pos < 0).any():
        row = int(np.flatnonzero(pos < 0)[0])
        raise InputError(f"référence « {values.iloc[row]} » absente de {target}",
                         f"corrigez {column} ou complétez {target}", path=path / name, row=row + 1, column=column)
    return pos.astype(np.int32)


def _text(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame.columns:
        return np.full(len(frame), "", dtype=object)
    return frame[column].astype("string").fillna("").astype(str).to_numpy(dtype=object)


def _agencies(tables: dict) -> tuple[str, ...]:
    agency = tables.get("agency.txt")
    if agency is None or "agency_name" not in agency.columns:
        return ()
    return tuple(dict.fromkeys(agency["agency_name"].dropna().astype(str)))


# --------------------------------------------------------------------------------------------
# Times


def parse_times(values: pd.Series, name: str, column: str, path: Path) -> np.ndarray:
    """Seconds since midnight of ``H:MM:SS`` texts (hours may exceed 23); NaN where blank.

    Raises
    ------
    InputError
        On the first value that is not a time, with its row.
    """
    # A feed repeats the same few thousand times: parse each distinct text once.
    codes, uniques = pd.factorize(values.astype("string"), use_na_sentinel=True)
    parsed = np.full(len(uniques) + 1, np.nan)
    for i, text in enumerate(uniques):
        match = _TIME.match(text)
        if match:
            parsed[i] = int(match[1]) * 3600 + int(match[2]) * 60 + int(match[3])
        elif text.strip():
            row = int(np.flatnonzero(codes == i)[0])
            raise InputError(f"heure « {text} » illisible",
                             "écrivez HH:MM:SS (minutes et secondes de 00 à 59 ; les heures après minuit "
                             "s'écrivent 24:30:00, 25:10:00…)", path=path / name, row=row + 1, column=column)
    return parsed[codes]  # code -1 (blank) reads the trailing NaN


def _stop_time_arrays(st: pd.DataFrame, stop_index: pd.Index, trip_index: pd.Index, n_trips: int,
                      path: Path) -> tuple[dict[str, np.ndarray], int]:
    """CSR arrays of the stop times, sorted by trip and stop sequence, times checked."""
    name = "stop_times.txt"
    trip = _lookup(st["trip_id"], trip_index, name, "trip_id", "trips.txt", path)
    stop = _lookup(st["stop_id"], stop_index, name, "stop_id", "stops.txt", path)
    seq = st["stop_sequence"]
    if seq.isna().any():
        row = int(np.flatnonzero(seq.isna().to_numpy())[0])
        raise InputError("numéro d'ordre vide", "renseignez stop_sequence", path=path / name, row=row + 1,
                         column="stop_sequence")
    seq = seq.to_numpy(dtype=np.int64)
    arr = parse_times(st["arrival_time"], name, "arrival_time", path)
    dep = parse_times(st["departure_time"], name, "departure_time", path)
    # A stop with one of its two times given uses it for both (GTFS allows giving only one).
    arr = np.where(np.isnan(arr), dep, arr)
    dep = np.where(np.isnan(dep), arr, dep)

    order = np.lexsort((seq, trip))
    rows = order  # data row of each sorted stop time (0-based)
    trip, stop, seq, arr, dep = trip[order], stop[order], seq[order], arr[order], dep[order]
    same_trip = np.r_[False, trip[1:] == trip[:-1]]
    dup = same_trip & np.r_[False, seq[1:] == seq[:-1]]
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        raise InputError(f"stop_sequence {seq[i]} en double dans la course « {trip_index[trip[i]]} »",
                         "chaque arrêt d'une course a un numéro d'ordre distinct",
                         path=path / name, row=int(rows[i]) + 1, column="stop_sequence")
    offsets = np.zeros(n_trips + 1, dtype=np.int64)
    np.add.at(offsets, trip + 1, 1)
    offsets = np.cumsum(offsets)

    n_interp = int(np.isnan(arr).sum())
    if n_interp:
        dist = st["shape_dist_traveled"].to_numpy(dtype=float, na_value=np.nan)[order] \
            if "shape_dist_traveled" in st.columns else np.full(len(arr), np.nan)
        arr = _interpolate(arr, dist, offsets, rows, trip_index, path)
        dep = np.where(np.isnan(dep), arr, dep)

    _check_increasing(arr, dep, same_trip, trip, rows, trip_index, path)
    pickup = _allowed(st, "pickup_type")[order]
    dropoff = _allowed(st, "drop_off_type")[order]
    return {"offsets": offsets, "stop": stop.astype(np.int32), "arr": arr.astype(np.int32),
            "dep": dep.astype(np.int32), "pickup": pickup, "dropoff": dropoff}, n_interp


def _allowed(st: pd.DataFrame, column: str) -> np.ndarray:
    """True where boarding (or alighting) is possible: type 0, 2, 3 or blank; False for type 1."""
    if column not in st.columns:
        return np.ones(len(st), dtype=bool)
    return st[column].to_numpy(dtype=float, na_value=0.0) != 1


def _interpolate(arr: np.ndarray, dist: np.ndarray, offsets: np.ndarray, rows: np.ndarray,
                 trip_index: pd.Index, path: Path) -> np.ndarray:
    """Fill blank times of each trip linearly between its known times."""
    arr = arr.copy()
    missing_trips = np.unique(np.searchsorted(offsets, np.flatnonzero(np.isnan(arr)), side="right") - 1)
    for t in missing_trips:
        a, b = offsets[t], offsets[t + 1]
        times = arr[a:b]
        if np.isnan(times[0]) or np.isnan(times[-1]):
            i = a if np.isnan(times[0]) else b - 1
            raise InputError(f"la course « {trip_index[t]} » n'a pas d'heure à son premier ou dernier arrêt",
                             "le premier et le dernier arrêt d'une course doivent avoir des horaires",
                             path=path / "stop_times.txt", row=int(rows[i]) + 1, column="arrival_time")
        d = dist[a:b]
        position = d if not np.isnan(d).any() and np.all(np.diff(d) >= 0) else np.arange(b - a, dtype=float)
        known = ~np.isnan(times)
        arr[a:b] = np.interp(position, position[known], times[known])
    return np.round(arr)


def _check_increasing(arr, dep, same_trip, trip, rows, trip_index, path) -> None:
    """Departure ≥ arrival at each stop, arrival ≥ previous departure along each trip."""
    name = "stop_times.txt"
    back = dep < arr
    if back.any():
        i = int(np.flatnonzero(back)[0])
        raise InputError(f"départ avant l'arrivée dans la course « {trip_index[trip[i]]} »",
                         "l'heure de départ d'un arrêt ne peut précéder son heure d'arrivée",
                         path=path / name, row=int(rows[i]) + 1, column="departure_time")
    earlier = same_trip & np.r_[False, arr[1:] < dep[:-1]]
    if earlier.any():
        i = int(np.flatnonzero(earlier)[0])
        raise InputError(f"horaires décroissants le long de la course « {trip_index[trip[i]]} » "
                         f"(arrivée {_clock(arr[i])} après un départ à {_clock(dep[i - 1])})",
                         "les horaires doivent croître d'un arrêt au suivant (stop_sequence croissant)",
                         path=path / name, row=int(rows[i]) + 1, column="arrival_time")


def _clock(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


# --------------------------------------------------------------------------------------------
# Stops


def _stop_coordinates(stops: pd.DataFrame, served: np.ndarray, path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Stop lon/lat; every served stop must have plausible WGS84 coordinates."""
    name = "stops.txt"
    lon = stops["stop_lon"].to_numpy(dtype=float, na_value=np.nan)
    lat = stops["stop_lat"].to_numpy(dtype=float, na_value=np.nan)
    for column, values, limit in (("stop_lat", lat, 90.0), ("stop_lon", lon, 180.0)):
        missing = np.isnan(values[served])
        if missing.any():
            i = int(served[np.flatnonzero(missing)[0]])
            raise InputError(f"l'arrêt « {stops['stop_id'].iloc[i]} » desservi par des courses n'a pas de coordonnées",
                             f"renseignez {column} (degrés WGS84)", path=path / name, row=i + 1, column=column)
        out = np.abs(values[served]) > limit
        if out.any():
            i = int(served[np.flatnonzero(out)[0]])
            raise InputError(f"coordonnée {values[i]} hors des bornes ±{limit:g}° pour l'arrêt "
                             f"« {stops['stop_id'].iloc[i]} »",
                             "les coordonnées GTFS sont des degrés WGS84 (latitude puis longitude)",
                             path=path / name, row=i + 1, column=column)
    zero = (lon[served] == 0) & (lat[served] == 0)
    if zero.any():
        i = int(served[np.flatnonzero(zero)[0]])
        raise InputError(f"l'arrêt « {stops['stop_id'].iloc[i]} » est placé en (0, 0)",
                         "coordonnées manquantes remplacées par zéro : géolocalisez l'arrêt",
                         path=path / name, row=i + 1, column="stop_lat")
    _check_isolated(lon, lat, served, stops, path)
    return lon, lat


def _check_isolated(lon, lat, served, stops, path) -> None:
    """A served stop hundreds of kilometres from every other one is misplaced (sign lost, swapped)."""
    if len(served) < 2:
        return

    phi, lam = np.radians(lat[served]), np.radians(lon[served])
    xyz = np.c_[np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)]
    dist, _ = cKDTree(xyz).query(xyz, k=2)
    km = 2 * 6371.0 * np.arcsin(np.minimum(dist[:, 1] / 2, 1.0))
    far = km > ISOLATED_STOP_KM
    if far.any():
        i = int(served[np.flatnonzero(far)[0]])
        raise InputError(f"l'arrêt « {stops['stop_id'].iloc[i]} » est à {km[far][0]:.0f} km de tout autre arrêt "
                         f"({lat[i]:.5f}, {lon[i]:.5f})",
                         "vérifiez ses coordonnées (signe perdu, latitude et longitude inversées ?)",
                         path=path / "stops.txt", row=i + 1, column="stop_lat / stop_lon")


# --------------------------------------------------------------------------------------------
# Calendar


def _parse_dates(values: pd.Series, name: str, column: str, path: Path) -> np.ndarray:
    """Date ordinals of ``YYYYMMDD`` texts."""
    text = values.astype("string").str.strip()
    parsed = pd.to_datetime(text, format="%Y%m%d", errors="coerce")
    bad = parsed.isna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(f"date « {text.iloc[row]} » illisible", "écrivez les dates AAAAMMJJ, par ex. 20250121",
                         path=path / name, row=row + 1, column=column)
    return np.array([d.toordinal() for d in parsed.dt.date], dtype=np.int64)


def _read_calendar(tables: dict, trips: pd.DataFrame, path: Path):
    """Service ids with their calendar rows and calendar_dates exceptions, as arrays."""
    calendar = tables.get("calendar.txt")
    dates = tables.get("calendar_dates.txt")
    ids = list(dict.fromkeys(
        ([] if calendar is None else calendar["service_id"].astype(str).tolist())
        + ([] if dates is None else dates["service_id"].astype(str).tolist())
        + trips["service_id"].astype(str).tolist()))
    index = pd.Index(ids)
    n = len(ids)
    cal_start = np.full(n, 1, dtype=np.int64)
    cal_end = np.zeros(n, dtype=np.int64)
    cal_days = np.zeros((n, 7), dtype=bool)
    if calendar is not None:
        pos = index.get_indexer(calendar["service_id"].astype(str))
        cal_start[pos] = _parse_dates(calendar["start_date"], "calendar.txt", "start_date", path)
        cal_end[pos] = _parse_dates(calendar["end_date"], "calendar.txt", "end_date", path)
        for d, column in enumerate(_WEEKDAYS):
            flag = calendar[column]
            if flag.isna().any() or not flag.isin([0, 1]).all():
                row = int(np.flatnonzero((flag.isna() | ~flag.isin([0, 1])).to_numpy())[0])
                raise InputError(f"valeur « {flag.iloc[row]} » au lieu de 0 ou 1", "mettez 1 si le service "
                                 "circule ce jour-là, 0 sinon", path=path / "calendar.txt", row=row + 1, column=column)
            cal_days[pos, d] = flag.to_numpy(dtype=int) == 1
    if dates is not None:
        kind = dates["exception_type"]
        bad = kind.isna() | ~kind.isin([1, 2])
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(f"exception_type « {kind.iloc[row]} » invalide",
                             "1 = service ajouté, 2 = service supprimé",
                             path=path / "calendar_dates.txt", row=row + 1, column="exception_type")
        exc = (index.get_indexer(dates["service_id"].astype(str)).astype(np.int32),
               _parse_dates(dates["date"], "calendar_dates.txt", "date", path),
               kind.to_numpy(dtype=int) == 1)
    else:
        exc = (np.zeros(0, np.int32), np.zeros(0, np.int64), np.zeros(0, bool))
    return ids, cal_start, cal_end, cal_days, exc


def _validity_period(tables: dict, cal_start, cal_end, exc_date, path: Path) -> tuple[date, date, str]:
    """feed_info's period when given, else the span of calendar and calendar_dates."""
    info = tables.get("feed_info.txt")
    if info is not None and {"feed_start_date", "feed_end_date"} <= set(info.columns) \
            and info["feed_start_date"].notna().all() and info["feed_end_date"].notna().all():
        start = _parse_dates(info["feed_start_date"], "feed_info.txt", "feed_start_date", path).min()
        end = _parse_dates(info["feed_end_date"], "feed_info.txt", "feed_end_date", path).max()
        return date.fromordinal(int(start)), date.fromordinal(int(end)), "feed_info"
    has_range = cal_start <= cal_end
    starts = np.r_[cal_start[has_range], exc_date]
    ends = np.r_[cal_end[has_range], exc_date]
    if not len(starts):
        raise InputError("le calendrier du flux ne contient aucune date",
                         "renseignez calendar.txt ou calendar_dates.txt",
                         path=path / "calendar.txt")
    return date.fromordinal(int(starts.min())), date.fromordinal(int(ends.max())), "calendar"


def _with_service_range(feed: Feed) -> Feed:
    """The feed with the first and last dates on which a trip runs recorded in its metadata."""
    counts = feed.trips_per_date()
    running = counts[counts > 0]
    meta = feed.metadata
    meta = FeedMetadata(**{**meta.__dict__,
                           "first_service": running.index[0] if len(running) else None,
                           "last_service": running.index[-1] if len(running) else None})
    object.__setattr__(feed, "metadata", meta)
    return feed


# --------------------------------------------------------------------------------------------
# Frequencies


def _expand_frequencies(tables: dict, path: Path) -> tuple[dict, int, int]:
    """Replace frequency-based template trips by one trip per departure (gtfs-kit's expansion).

    Both ``exact_times`` values are expanded at ``start_time + k × headway_secs`` (strictly before
    ``end_time``): for ``exact_times=1`` these are the published times; for ``exact_times=0`` the
    agency only promises the headway, so the times are one plausible schedule (reported).
    """
    import gtfs_kit  # optional heavy dependency, needed only for a timetable study

    freq = tables["frequencies.txt"]
    name = "frequencies.txt"
    start = parse_times(freq["start_time"], name, "start_time", path)
    end = parse_times(freq["end_time"], name, "end_time", path)
    headway = freq["headway_secs"].to_numpy(dtype=float, na_value=np.nan)
    for column, values in (("start_time", start), ("end_time", end), ("headway_secs", headway)):
        if np.isnan(values).any():
            row = int(np.flatnonzero(np.isnan(values))[0])
            raise InputError("valeur manquante", f"renseignez {column}", path=path / name, row=row + 1, column=column)
    bad = (headway <= 0) | (headway != np.round(headway))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError(f"intervalle {headway[row]:g} s invalide", "headway_secs est un nombre entier de secondes > 0",
                         path=path / name, row=row + 1, column="headway_secs")
    unknown = ~freq["trip_id"].astype(str).isin(tables["trips.txt"]["trip_id"].astype(str))
    if unknown.any():
        row = int(np.flatnonzero(unknown.to_numpy())[0])
        raise InputError(f"course « {freq['trip_id'].iloc[row]} » absente de trips.txt", "corrigez trip_id",
                         path=path / name, row=row + 1, column="trip_id")
    n_departures = np.maximum(np.ceil((end - start) / headway), 0).astype(int)
    exact = freq["exact_times"].to_numpy(dtype=float, na_value=0.0) == 1 if "exact_times" in freq.columns \
        else np.zeros(len(freq), dtype=bool)

    feed = gtfs_kit.Feed(dist_units="km", trips=tables["trips.txt"], stop_times=tables["stop_times.txt"],
                         frequencies=freq, stops=tables["stops.txt"], routes=tables["routes.txt"])
    expanded = feed.expand_frequencies()
    out = dict(tables)
    out["trips.txt"] = expanded.trips.reset_index(drop=True)
    out["stop_times.txt"] = expanded.stop_times.reset_index(drop=True)
    return out, int(n_departures.sum()), int(n_departures[~exact].sum())


# --------------------------------------------------------------------------------------------
# One service date


def check_date(feed: Feed, day: date) -> None:
    """Raise an InputError when ``day`` is outside the feed's period or has no trip.

    The message gives the valid range in French (« du 01/01/2025 au 30/11/2026 »).
    """
    meta = feed.metadata
    if not (meta.start <= day <= meta.end):
        raise InputError(f"le {fr_date(day)} est hors de la période de validité du flux GTFS ({meta.period_fr()})",
                         f"choisissez une date {meta.period_fr()}", path=meta.path)
    if not feed.active_trips(day).any():
        raise InputError(f"aucune course ne circule le {fr_date(day)} (période de validité {meta.period_fr()})",
                         "choisissez un autre jour", path=meta.path)


def timetable_for_date(feed: Feed, day: date) -> Timetable:
    """The trips of service date ``day``, with the previous date's trips running past midnight.

    Parameters
    ----------
    feed : Feed
    day : date

    Returns
    -------
    Timetable

    Raises
    ------
    InputError
        When ``day`` is outside the feed's validity period (the message gives the period) or no trip
        runs that day.
    """
    check_date(feed, day)
    today = feed.active_trips(day)
    yesterday = feed.active_trips(day - timedelta(days=1))
    last_arrival = feed.st_arr[np.maximum(feed.st_offsets[1:] - 1, 0)]
    has_stops = np.diff(feed.st_offsets) > 0
    late = yesterday & has_stops & (last_arrival >= _DAY_S)
    return _select_trips(feed, today & has_stops, day, late_mask=late)


def _select_trips(source, mask: np.ndarray, day: date, late_mask: np.ndarray | None = None,
                  previous_day: np.ndarray | None = None) -> Timetable:
    """A Timetable of the trips of ``mask`` (and, shifted by −24 h, those of ``late_mask``)."""
    groups = [(np.flatnonzero(mask), 0)]
    if late_mask is not None and late_mask.any():
        groups.append((np.flatnonzero(late_mask), -_DAY_S))
    trip_parts, st_parts, prev_flags = [], [], []
    for trips, shift in groups:
        starts, ends = source.st_offsets[trips], source.st_offsets[trips + 1]
        rows = np.concatenate([np.arange(a, b) for a, b in zip(starts, ends)]) if len(trips) else np.zeros(0, int)
        trip_parts.append((trips, ends - starts))
        st_parts.append((rows, shift))
        flags = np.full(len(trips), shift != 0) if previous_day is None else previous_day
        prev_flags.append(flags)
    trips = np.concatenate([t for t, _ in trip_parts])
    lengths = np.concatenate([n for _, n in trip_parts])
    rows = np.concatenate([r for r, _ in st_parts])
    shift = np.concatenate([np.full(len(r), s, dtype=np.int32) for r, s in st_parts])
    offsets = np.r_[0, np.cumsum(lengths)].astype(np.int64)
    return Timetable(
        day=day, metadata=source.metadata,
        stop_ids=source.stop_ids, stop_names=source.stop_names, stop_lon=source.stop_lon, stop_lat=source.stop_lat,
        route_ids=source.route_ids, route_short_names=source.route_short_names,
        route_long_names=source.route_long_names,
        trip_ids=source.trip_ids[trips], trip_route=source.trip_route[trips],
        trip_previous_day=np.concatenate(prev_flags).astype(bool),
        st_offsets=offsets, st_stop=source.st_stop[rows],
        st_arr=source.st_arr[rows] + shift, st_dep=source.st_dep[rows] + shift,
        st_pickup=source.st_pickup[rows], st_dropoff=source.st_dropoff[rows],
    )


def choose_date(feed: Feed, when) -> ChosenDate:
    """A typical date of the feed for a moment of the week such as ``"mardi 09:00"``.

    Among the dates of the validity period that fall on the requested weekday and have trips, the
    one chosen (1) is not named in ``calendar_dates.txt`` (no holiday or special service), (2) lies
    in the week with the most trips (a full Monday–Sunday week of the period), (3) has the most
    trips itself; remaining ties go to the earliest date.

    Parameters
    ----------
    feed : Feed
    when : str or (day, minute) or datetime
        Anything :func:`access30.base.moments.parse_when` reads.

    Returns
    -------
    ChosenDate
        The date, the minute asked for, and a French sentence saying why.

    Raises
    ------
    InputError
        When ``when`` cannot be read, or no date of the period on that weekday has a trip.
    """
    weekday, minute = parse_when(when)
    counts = feed.trips_per_date()
    days = np.array([d.toordinal() for d in counts.index])
    trips = counts.to_numpy()
    monday = days - (days - 1) % 7
    week_total = pd.Series(trips).groupby(monday).transform("sum").to_numpy()
    exceptions = np.isin(days, feed.exc_date)
    candidate = ((days - 1) % 7 == weekday) & (trips > 0)
    if not candidate.any():
        raise InputError(f"aucune course le {_DAY_FR[weekday]} dans le flux GTFS ({feed.metadata.period_fr()})",
                         "choisissez un autre jour de la semaine", path=feed.metadata.path)
    # lexsort: last key first; negatives so that the best scores sort first, earliest date on ties.
    idx = np.flatnonzero(candidate)
    order = np.lexsort((days[idx], -trips[idx], -week_total[idx], exceptions[idx]))
    best = idx[order[0]]
    chosen = date.fromordinal(int(days[best]))
    clean = "sans exception de calendrier" if not exceptions[best] else \
        "tous les jours possibles ont des exceptions de calendrier (jours fériés, vacances)"
    reason = (f"{_DAY_FR[weekday]} {fr_date(chosen)} : {fmt_int(trips[best])} courses ce jour-là, "
              f"semaine de {fmt_int(week_total[best])} courses (la plus chargée possible), {clean} ; "
              f"flux valable {feed.metadata.period_fr()}")
    return ChosenDate(day=chosen, weekday=weekday, minute=minute, n_trips=int(trips[best]), reason=reason)
