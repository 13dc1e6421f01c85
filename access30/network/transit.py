"""A GTFS feed as a study's network: the timetable of one service date and the departure window."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
from scipy.spatial import cKDTree

from access30.base.crs import local_crs, to_projected
from access30.base.errors import InputError
from access30.base.moments import DAY_NAMES_FR, parse_when
from access30.network import gtfs
from access30.network.modes import get_mode

#: The moment used when neither a date nor a moment is given: a typical Tuesday morning.
DEFAULT_WHEN = "mardi 09:00"


#: Default length of the departure window, minutes.
DEFAULT_WINDOW_MIN = 90


_EARTH_RADIUS_M = 6_371_000.0


@dataclass(frozen=True, eq=False)
class TransitNetwork:
    """The timetable of one service date and the departure window: the network of a transit study.

    Attributes
    ----------
    feed : Feed
    path : Path
        The GTFS file.
    day : date
        Service date.
    date_reason : str
        Why that date, in French.
    window : DepartureWindow
    timetable : Timetable
    crs : str
        Projected CRS of the computation (the local one of the stops).
    hours_weekday : int or None
        Weekday whose opening hours apply (None: hours not used, no moment given).
    mode : str
        ``"transit"``.
    """

    feed: gtfs.Feed
    path: Path
    day: date
    date_reason: str
    window: DepartureWindow
    timetable: gtfs.Timetable
    crs: str
    hours_weekday: int | None = None
    mode: str = "transit"
    partial: bool = False

    @property
    def source(self) -> str:
        """The feed's file name."""
        return self.path.name

    @property
    def x(self) -> np.ndarray:
        """Projected x of the served stops."""
        return self._xy()[0]

    @property
    def y(self) -> np.ndarray:
        """Projected y of the served stops."""
        return self._xy()[1]

    def _xy(self) -> tuple[np.ndarray, np.ndarray]:
        served = self.timetable.served_stops()
        return to_projected(self.timetable.stop_lon[served], self.timetable.stop_lat[served], self.crs)

    def summary(self) -> dict:
        """The ``network_*`` keys of the summary: stops served and trips running that day."""
        return {"network_source": self.source, "network_mode": self.mode, "network_partial": False,
                "network_nodes": int(len(self.timetable.served_stops())), "network_edges": int(self.timetable.n_trips),
                "network_components": 1, "network_estimated_edges": 0}

    def source_line(self) -> str:
        """The feed in the study's sources (agency, validity, file)."""
        meta = self.feed.metadata
        agencies = ", ".join(meta.agencies) or "agence non déclarée"
        return (f"Horaires de transports en commun : {agencies}, flux GTFS {self.source}, valable "
                f"{meta.period_fr()} ; date de service utilisée : {gtfs.fr_date(self.day)} "
                f"({self.window.label_fr()})")


def read_transit_network(gtfs_path, when: str | None = None, service_date: str | None = None,
                         window_min: int | None = None, points_lonlat=None) -> TransitNetwork:
    """Read the feed and fix the service date and the window of a transit study.

    Parameters
    ----------
    gtfs_path : path or None
        The GTFS feed (zip or folder).
    when : str, optional
        A moment of the week (« mardi 09:00 »): its time starts the window; without ``service_date``
        its weekday picks a typical date of the feed (:func:`access30.network.gtfs.choose_date`), and the
        sites' opening hours apply.
    service_date : str, optional
        ``YYYY-MM-DD``: the service date itself (must lie in the feed's validity period).
    window_min : int, optional
        Length of the departure window (90 min by default).
    points_lonlat : (lon, lat) arrays, optional
        Points of the territory, to choose the projected CRS (the stops' otherwise).

    Raises
    ------
    InputError
        No feed given, a feed that cannot be read, a date outside its period (the message gives the
        period), a date whose weekday is not the one of ``when``, or a bad window.
    """
    if gtfs_path is None:
        mode = get_mode("transit")
        raise InputError(f"le mode « {mode.label.lower()} » demande {mode.needs}",
                         "ajoutez --gtfs FICHIER.zip : les horaires du réseau au format GTFS (publiés par "
                         "l'autorité organisatrice, par ex. sur transport.data.gouv.fr)", column="--gtfs")
    path = Path(gtfs_path)
    if not path.exists():
        raise InputError("flux GTFS introuvable", "indiquez le chemin du fichier .zip du flux GTFS", path=path,
                         column="--gtfs")
    window_min = DEFAULT_WINDOW_MIN if window_min is None else int(window_min)
    if not 1 <= window_min <= 24 * 60:
        raise InputError(f"fenêtre de départ de {window_min} min hors limites",
                         "indiquez une durée entre 1 et 1 440 minutes (90 par défaut)", column="--window")
    feed = gtfs.read_feed(path)
    if service_date is not None:
        try:
            day = date.fromisoformat(str(service_date))
        except ValueError:
            raise InputError(f"date « {service_date} » illisible", "écrivez-la AAAA-MM-JJ",
                             column="--date") from None
        gtfs.check_date(feed, day)
        minute = parse_when(when or DEFAULT_WHEN)[1]
        if when is not None and parse_when(when)[0] != day.weekday():
            raise InputError(f"le {gtfs.fr_date(day)} est un {DAY_NAMES_FR[day.weekday()]}, pas le jour de « {when} »",
                             "donnez un moment du même jour que la date, ou seulement l'un des deux", column="--at")
        reason = f"date demandée ({DAY_NAMES_FR[day.weekday()]} {gtfs.fr_date(day)}) ; flux valable " \
                 f"{feed.metadata.period_fr()}"
    else:
        chosen = gtfs.choose_date(feed, when or DEFAULT_WHEN)
        day, minute = chosen.day, chosen.minute
        reason = ("date typique choisie pour « " + (when or DEFAULT_WHEN) + " » : " + chosen.reason
                  + ("" if when else " (moment par défaut)"))
    window = DepartureWindow(minute, window_min)
    if points_lonlat is None:
        served = np.flatnonzero(np.isfinite(feed.stop_lon))
        points_lonlat = (feed.stop_lon[served], feed.stop_lat[served])
    crs = local_crs(*points_lonlat)
    return TransitNetwork(feed=feed, path=path, day=day, date_reason=reason, window=window,
                          timetable=gtfs.timetable_for_date(feed, day), crs=crs,
                          hours_weekday=day.weekday() if when is not None else None)


def nearest_m(lon_from, lat_from, lon_to, lat_to) -> np.ndarray:
    """Great-circle distance (m) from each ``from`` point to the nearest ``to`` point (inf when no ``to``).

    Measured on the sphere rather than in a projected CRS: a feed and a territory may be oceans apart,
    and the study's projected CRS is the feed's, which distorts far away from its stops.
    """
    def xyz(lon, lat):
        phi, lam = np.radians(np.asarray(lat, dtype=float)), np.radians(np.asarray(lon, dtype=float))
        return np.c_[np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)]

    if len(lon_to) == 0:
        return np.full(len(lon_from), np.inf)
    chord, _ = cKDTree(xyz(lon_to, lat_to)).query(xyz(lon_from, lat_from))
    return 2 * _EARTH_RADIUS_M * np.arcsin(np.minimum(np.asarray(chord) / 2, 1.0))


@dataclass(frozen=True)
class DepartureWindow:
    """Departures every ``step_min`` minutes from ``start_min`` (included) for ``duration_min``.

    Minutes are counted from midnight of the timetable's service date; ``DepartureWindow(510, 90)``
    is 08:30–10:00, i.e. 90 departures 08:30, 08:31, …, 09:59.
    """

    start_min: int
    duration_min: int = 90
    step_min: int = 1

    def __post_init__(self) -> None:
        if self.duration_min <= 0 or self.step_min <= 0 or self.start_min < 0:
            raise InputError(f"fenêtre de départ invalide ({self.start_min}, {self.duration_min} min, "
                             f"pas {self.step_min} min)", "durée et pas positifs, début ≥ 00:00", column="--window")

    @classmethod
    def from_when(cls, when, duration_min: int = 90, step_min: int = 1) -> "DepartureWindow":
        """The window starting at the time of ``when`` (``"mardi 08:30"``; the day is ignored)."""
        return cls(parse_when(when)[1], duration_min, step_min)

    @property
    def departures_s(self) -> np.ndarray:
        """Departure times, seconds since midnight."""
        return np.arange(self.start_min, self.start_min + self.duration_min, self.step_min) * 60.0

    def label_fr(self) -> str:
        """``08:30–10:00, départ chaque minute``."""
        end = self.start_min + self.duration_min
        step = "chaque minute" if self.step_min == 1 else f"toutes les {self.step_min} minutes"
        return f"{_hhmm(self.start_min)}–{_hhmm(end)}, départ {step}"


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"
