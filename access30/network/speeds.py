"""Travel speeds by OSM road class, with French defaults, and which ways each mode may use.

Driving speeds are the French legal limits that apply when a road carries no ``maxspeed`` tag
(Code de la route, articles R413-2 to R413-3 and R110-2):

* ``motorway`` 130 km/h (R413-2, autoroutes);
* ``trunk`` 110 km/h (R413-2, routes à deux chaussées séparées par un terre-plein central);
* ``primary``, ``secondary`` 80 km/h (R413-2 since 1 July 2018 on two-way rural roads without a
  central separator; some départements have gone back to 90 km/h: tag ``maxspeed`` to say so);
* ``tertiary`` 70 km/h: a rural 80 km/h road that crosses villages at 50 km/h (R413-3);
* ``unclassified`` 50 km/h: small communal roads, narrow and winding, rarely driven at 80;
* ``residential`` 30 km/h: the speed of most town centres and housing estates (zones 30, R110-2),
  below the 50 km/h urban limit;
* ``living_street`` 20 km/h (zone de rencontre, R110-2); ``service`` 20 km/h;
* ramps (``*_link``) a little below the road they serve.

These are free-flow speeds: no congestion, no stops at junctions. They overstate speed in towns at
peak hours, which is why every report states them. Walking is 4.5 km/h on every walkable way
(a common planning value for adults, lower than the 5 km/h often quoted to allow for older people),
and half that on steps.
"""

from __future__ import annotations

import re

DRIVE_SPEED_KMH: dict[str, float] = {
    "motorway": 130.0,
    "motorway_link": 70.0,
    "trunk": 110.0,
    "trunk_link": 70.0,
    "primary": 80.0,
    "primary_link": 60.0,
    "secondary": 80.0,
    "secondary_link": 50.0,
    "tertiary": 70.0,
    "tertiary_link": 50.0,
    "unclassified": 50.0,
    "road": 50.0,
    "residential": 30.0,
    "living_street": 20.0,
    "service": 20.0,
}

WALK_SPEED_KMH = 4.5
STEPS_SPEED_FACTOR = 0.5
FERRY_SPEED_KMH = 15.0

WALK_HIGHWAYS = frozenset(
    {
        "primary", "primary_link", "secondary", "secondary_link", "tertiary", "tertiary_link",
        "unclassified", "road", "residential", "living_street", "service", "pedestrian", "footway",
        "path", "steps", "track", "cycleway", "bridleway", "corridor", "trunk", "trunk_link",
    }
)

# Values of ``maxspeed`` that name a legal regime rather than a number (France and generic).
_IMPLICIT_MAXSPEED = {
    "fr:urban": 50.0, "fr:rural": 80.0, "fr:motorway": 130.0, "fr:trunk": 110.0,
    "fr:zone30": 30.0, "fr:zone20": 20.0, "fr:walk": 6.0, "fr:living_street": 20.0,
    "walk": 6.0, "urban": 50.0, "rural": 80.0, "motorway": 130.0, "living_street": 20.0,
}
_NUMBER = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*(mph|km/h|kmh|kph)?\s*$", re.IGNORECASE)

_NO = {"no", "private", "agricultural", "forestry", "delivery"}
_YES = {"yes", "designated", "permissive", "destination"}
_DRIVE_EXCLUDED_SERVICE = {"parking_aisle", "driveway", "private", "emergency_access", "parking"}


def parse_maxspeed(value: str | None) -> float | None:
    """Parse an OSM ``maxspeed`` value to km/h.

    Parameters
    ----------
    value : str or None
        The tag value, e.g. ``"50"``, ``"30 mph"``, ``"FR:urban"`` or ``"50;70"``.

    Returns
    -------
    float or None
        The speed in km/h (the lowest of several values), or None when the value is missing or
        cannot be read (``"none"``, ``"signals"``, typos), in which case the road-class default is used.
    """
    if value is None:
        return None
    speeds = []
    for part in str(value).replace("|", ";").split(";"):
        part = part.strip().lower()
        if not part:
            continue
        if part in _IMPLICIT_MAXSPEED:
            speeds.append(_IMPLICIT_MAXSPEED[part])
            continue
        match = _NUMBER.match(part)
        if match:
            speed = float(match.group(1).replace(",", "."))
            if match.group(2) and match.group(2).lower() == "mph":
                speed *= 1.609344
            if 1.0 <= speed <= 150.0:
                speeds.append(speed)
    return min(speeds) if speeds else None


def drive_allowed(tags: dict[str, str]) -> bool:
    """Whether a way is open to cars (the osmnx ``drive`` filter, restated for raw OSM tags)."""
    highway = tags.get("highway")
    if highway not in DRIVE_SPEED_KMH:
        return False
    if tags.get("area") == "yes":
        return False
    banned = any(tags.get(key) in _NO for key in ("access", "vehicle", "motor_vehicle", "motorcar"))
    # A more specific permission overrides a general ban (access=no + motorcar=yes).
    allowed = any(tags.get(key) in _YES for key in ("motor_vehicle", "motorcar"))
    if banned and not allowed:
        return False
    if highway == "service" and tags.get("service") in _DRIVE_EXCLUDED_SERVICE:
        return False
    return True


def walk_allowed(tags: dict[str, str]) -> bool:
    """Whether a way is open to pedestrians: motorways and ``foot=no`` excluded."""
    highway = tags.get("highway")
    if highway not in WALK_HIGHWAYS:
        return False
    if tags.get("foot") in ("no", "private") or tags.get("access") in ("no", "private"):
        return tags.get("foot") in ("yes", "designated", "permissive")
    if highway in ("trunk", "trunk_link") and tags.get("foot") not in ("yes", "designated"):
        # Voies express: pedestrians are banned on most; allow only when tagged.
        return False
    return True


def drive_oneway(tags: dict[str, str]) -> int:
    """Direction a car may travel a way: 1 forward only, -1 backward only, 0 both ways."""
    value = (tags.get("oneway") or "").lower()
    if value in ("yes", "true", "1"):
        return 1
    if value in ("-1", "reverse"):
        return -1
    if value == "no":
        return 0
    if tags.get("junction") in ("roundabout", "circular") or tags.get("highway") == "motorway":
        return 1
    return 0
