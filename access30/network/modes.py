"""Travel modes: one registry entry per way of reaching a lieu d'accueil.

Everything that differs between driving and walking lives here, and every module reads it from
here: which OSM ways are usable, the speed on a way and its one-way rule, the speed of the access
leg between a point and the road, the speed of the links that bridge a partial network, the osmnx
network type for downloads, and the French words of every output. Adding a mode is one entry in
:data:`MODES` (plus a network builder when it does not come from OSM ways).

A mode's :attr:`TravelMode.kind` says how its times are computed, and is read in one place only
(:data:`access30.coverage.engine.ENGINES`): ``"road"`` modes are routed on OSM ways by :mod:`access30.routing.roads`;
``"timetable"`` modes (public transport) come from a GTFS feed, routed by :mod:`access30.routing.transit`
through :mod:`access30.coverage.transit`. The OSM fields are unused by a timetable mode.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from access30.base.errors import InputError
from access30.base.fmt import fmt_num
from access30.network import speeds

Tags = dict[str, str]


#: Kinds of travel mode: times routed on OSM ways, or read from a timetable (a GTFS feed).
ROAD, TIMETABLE = "road", "timetable"


@dataclass(frozen=True)
class TravelMode:
    """A travel mode and everything the computation and the outputs need to know about it.

    Attributes
    ----------
    key : str
        Stable identifier, used on the command line and in summaries (``drive``, ``walk``, ``transit``).
    label : str
        French name in the interface (« Voiture »).
    words : str
        French adverbial phrase after a time (« 30 min en voiture »).
    osmnx_type : str
        ``network_type`` passed to osmnx when the network is downloaded.
    way_allowed : callable
        ``tags -> bool``: whether an OSM way (not a ferry) may be used.
    ferry_allowed : callable
        ``tags -> bool``: whether a ferry route may be used.
    way_speed_kmh : callable
        ``tags -> float``: speed on a usable way.
    oneway : callable
        ``tags -> int``: 1 forward only, -1 backward only, 0 both ways.
    access_speed_kmh : float
        Speed of the estimated leg between a point and the road (parking, local streets; walking).
    bridge_speed_kmh : float
        Speed of the estimated links that join the pieces of a partial network.
    nothing_usable : str
        French message when an extract has no usable way for the mode.
    method : str
        One French sentence on how times are computed (workbook and report).
    limit : str
        The main limit of the mode, said in the report's « Limites ».
    speed_table : bool
        Whether the report lists the speed of each road class.
    kind : str
        How times are computed: ``"road"`` (OSM ways, :mod:`access30.routing.roads`) or ``"timetable"``
        (a GTFS feed, :mod:`access30.coverage.transit`).
    needs : str
        French description of the input a timetable mode needs, for messages (« un flux GTFS »).
    extra_thresholds : tuple of float
        Thresholds reported beside the study's own (transit users often live far: 45 and 60 min).
    """

    key: str
    label: str
    words: str
    method: str
    limit: str
    access_speed_kmh: float
    osmnx_type: str = "walk"
    way_allowed: Callable[[Tags], bool] = lambda tags: False
    ferry_allowed: Callable[[Tags], bool] = lambda tags: False
    way_speed_kmh: Callable[[Tags], float] = lambda tags: 0.0
    oneway: Callable[[Tags], int] = lambda tags: 0
    bridge_speed_kmh: float = 0.0
    nothing_usable: str = ""
    speed_table: bool = False
    kind: str = ROAD
    needs: str = ""
    extra_thresholds: tuple[float, ...] = ()

    @property
    def timetable(self) -> bool:
        """Whether the mode's times come from a timetable (a GTFS feed) rather than OSM ways."""
        return self.kind == TIMETABLE

    def usable(self, tags: Tags) -> bool:
        """Whether a way or a ferry route may be used in this mode."""
        if tags.get("route") == "ferry":
            return self.ferry_allowed(tags)
        return self.way_allowed(tags)


def _drive_speed(tags: Tags) -> float:
    tagged = speeds.parse_maxspeed(tags.get("maxspeed"))
    return tagged if tagged is not None else speeds.DRIVE_SPEED_KMH.get(tags.get("highway", ""), 30.0)


def _walk_speed(tags: Tags) -> float:
    return speeds.WALK_SPEED_KMH * (speeds.STEPS_SPEED_FACTOR if tags.get("highway") == "steps" else 1.0)


def _drive_ferry(tags: Tags) -> bool:
    return tags.get("motorcar") == "yes" or tags.get("motor_vehicle") == "yes"


def _walk_ferry(tags: Tags) -> bool:
    return tags.get("foot") != "no"


def _drive_speeds_text() -> str:
    return ", ".join(f"{k} {fmt_num(v)} km/h" for k, v in speeds.DRIVE_SPEED_KMH.items()
                     if not k.endswith("_link"))


DRIVE = TravelMode(
    key="drive", label="Voiture", words="en voiture", osmnx_type="drive",
    way_allowed=speeds.drive_allowed, ferry_allowed=_drive_ferry, way_speed_kmh=_drive_speed,
    oneway=speeds.drive_oneway, access_speed_kmh=30.0, bridge_speed_kmh=50.0,
    nothing_usable="aucune route praticable en voiture",
    method="Temps de trajet en voiture sur le réseau OpenStreetMap, à la vitesse maximale signalée (maxspeed) "
           "ou, à défaut, selon la classe de route : " + _drive_speeds_text() + ".",
    limit="Seuls les trajets en voiture sont mesurés : une personne sans véhicule dépend des transports en "
          "commun, non pris en compte ici.",
    speed_table=True)

WALK = TravelMode(
    key="walk", label="À pied", words="à pied", osmnx_type="walk",
    way_allowed=speeds.walk_allowed, ferry_allowed=_walk_ferry, way_speed_kmh=_walk_speed,
    oneway=lambda tags: 0, access_speed_kmh=speeds.WALK_SPEED_KMH, bridge_speed_kmh=speeds.WALK_SPEED_KMH,
    nothing_usable="aucun chemin praticable à pied",
    method=f"Temps de marche à {fmt_num(speeds.WALK_SPEED_KMH)} km/h sur toutes les voies accessibles aux "
           "piétons, moitié moins dans les escaliers.",
    limit="Seule la marche est mesurée.")

TRANSIT = TravelMode(
    key="transit", label="Transports en commun", words="en transports en commun (et à pied)",
    access_speed_kmh=speeds.WALK_SPEED_KMH, kind=TIMETABLE, needs="un flux GTFS (fichier .zip)",
    extra_thresholds=(45.0, 60.0),
    method="Temps en transports en commun calculés sur les horaires du flux GTFS (correspondances comprises, "
           "attente au premier arrêt comptée) pour chaque minute de départ de la fenêtre : on retient pour "
           "chaque lieu de vie le temps médian (et les 25e et 75e centiles). Marche à "
           f"{fmt_num(speeds.WALK_SPEED_KMH)} km/h sur la distance à vol d'oiseau × 1,3 (estimée) jusqu'à "
           "un arrêt à moins de 1 km, entre arrêts en correspondance (400 m, 2 min au moins) et de l'arrêt au "
           "lieu ; aller à pied directement jusqu'au lieu reste toujours possible.",
    limit="Seul le réseau décrit par le flux GTFS est pris en compte : un flux interurbain (par ex. Car Jaune "
          "à La Réunion) ignore les bus urbains, le transport à la demande et les trajets en voiture ; les "
          "temps de marche sont estimés à vol d'oiseau, et les horaires sont ceux publiés, sans retards.")

#: Every travel mode, by key, in the order the interface offers them.
MODES: dict[str, TravelMode] = {mode.key: mode for mode in (DRIVE, WALK, TRANSIT)}


def get_mode(key: str | TravelMode) -> TravelMode:
    """The travel mode of a key (a :class:`TravelMode` is returned as is).

    Raises
    ------
    InputError
        For an unknown key, naming the known ones.
    """
    if isinstance(key, TravelMode):
        return key
    try:
        return MODES[str(key)]
    except KeyError:
        known = ", ".join(f"« {k} » ({m.label.lower()})" for k, m in MODES.items())
        raise InputError(f"mode de déplacement inconnu « {key} »", f"choisissez {known}", column="--mode") from None


def mode_words(key: str) -> str:
    """« en voiture », « à pied »: the words after a time, for a mode key."""
    return get_mode(key).words
