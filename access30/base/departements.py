"""French départements by INSEE code.

The codes, their canonical form, and the Geofabrik region that publishes each one's road network.
"""

from __future__ import annotations

from access30.base.errors import InputError

_REGION_DEPARTEMENTS = {
    "alsace": "67 68", "aquitaine": "24 33 40 47 64", "auvergne": "03 15 43 63",
    "basse-normandie": "14 50 61", "bourgogne": "21 58 71 89", "bretagne": "22 29 35 56",
    "centre": "18 28 36 37 41 45", "champagne-ardenne": "08 10 51 52", "corse": "2A 2B",
    "franche-comte": "25 39 70 90", "haute-normandie": "27 76",
    "ile-de-france": "75 77 78 91 92 93 94 95", "languedoc-roussillon": "11 30 34 48 66",
    "limousin": "19 23 87", "lorraine": "54 55 57 88", "midi-pyrenees": "09 12 31 32 46 65 81 82",
    "nord-pas-de-calais": "59 62", "pays-de-la-loire": "44 49 53 72 85", "picardie": "02 60 80",
    "poitou-charentes": "16 17 79 86", "provence-alpes-cote-d-azur": "04 05 06 13 83 84",
    "rhone-alpes": "01 07 26 38 42 69 73 74", "guadeloupe": "971", "martinique": "972",
    "guyane": "973", "reunion": "974", "mayotte": "976",
}


REGION_OF_DEPARTEMENT = {dep: region for region, deps in _REGION_DEPARTEMENTS.items() for dep in deps.split()}


def normalise_departement(code: str) -> str:
    """An INSEE département code in its canonical form (``2a`` → ``2A``, ``1`` → ``01``, ``"972 "`` → ``972``).

    Raises
    ------
    InputError
        When the code is not a French département.
    """
    text = str(code).strip().upper().zfill(2)
    if text not in REGION_OF_DEPARTEMENT:
        raise InputError(f"département « {code} » inconnu",
                         "indiquez un code INSEE de département (01 à 95, 2A, 2B, 971 à 976)",
                         column="--departement")
    return text


def is_departement_code(key: str) -> bool:
    """Whether ``key`` looks like an INSEE département code (``22``, ``2A``, ``972``)."""
    return str(key).strip().upper().zfill(2) in REGION_OF_DEPARTEMENT


#: Every département: metropolitan 01–95 (2A, 2B for Corsica, no 20) and the five overseas.
ALL_DEPARTEMENTS = tuple([f"{n:02d}" for n in range(1, 20)] + ["2A", "2B"]
                         + [f"{n:02d}" for n in range(21, 96)] + ["971", "972", "973", "974", "976"])
