"""access30 — l'application cartographique (Streamlit).

Lancer : ``streamlit run app.py``. The page is thin: widgets wired to the core, through the app's
helpers (:mod:`access30.app`). It answers in under a second because nothing is computed twice:
one study, routing and current situation per input set, shared by every session and bounded
(:mod:`access30.app.shared`); each planner's scenarios as their own changes only
(:mod:`access30.app.scenarios`); only the open tab is drawn (``st.tabs`` with ``on_change="rerun"``)
and panels that change alone rerun alone (``st.fragment``); the map is updated layer by layer
(:mod:`access30.app.mapview`); exports and suggestions run in the background
(:mod:`access30.app.jobs`) while the page stays usable.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import io
import time
from dataclasses import replace
from pathlib import Path

import altair as alt
import numpy as np
import pandas as pd
import pandas.io.formats.style  # noqa: F401 - loaded with the server, not at the first table shown
import streamlit as st

from access30.app import exports, lenses, mapview, outreach, places, readings, shared, suggestions, uploads
from access30.app import scenarios as cache
from access30.app.lenses import Lens
from access30.app.shared import Source, TransitChoice
from access30.base.departements import is_departement_code
from access30.base.errors import Access30Error, InputError, NetworkUnavailableError, headline_notices
from access30.base.files import export_name
from access30.base.fmt import (
    fmt_dec,
    fmt_int,
    fmt_iso_date,
    fmt_lonlat,
    fmt_metres,
    fmt_min,
    fmt_num,
    fmt_pct,
    fmt_points,
    plural,
)
from access30.base.io import is_vector, read_table, read_vector
from access30.base.labels import EQUITY_LABELS_FR, LENS_LABELS_FR, MODEL_LABELS_FR, for_app, sites_counted
from access30.base.moments import DAY_NAMES_FR
from access30.base.names import commune_name
from access30.base.settings import without_cache_root
from access30.coverage import scenario as sc
from access30.coverage.capacity import with_capacity
from access30.coverage.options import LENSES, MOMENT, SECTORS, WORKERS
from access30.coverage.rules import population_by_class
from access30.coverage.sectors import sector_lines
from access30.coverage.wait import wait_lines
from access30.inputs.assemble import StudyRequest
from access30.inputs.inventories import INVENTORIES, candidate_inventories, described
from access30.inputs.sites import SITE_TYPES
from access30.inputs.sources.listing import describe_listing
from access30.inputs.territory import DEFAULT_TERRITORY, TERRITORIES
from access30.national.outputs import national_figure, national_table
from access30.national.view import open_national
from access30.network.modes import MODES, mode_words
from access30.outputs import webmap
from access30.outputs.tables import communes_table, csv_bytes, load_table
from access30.suggest.capacitated import capacitated_lines
from access30.suggest.suggestion import EMPTY_REASONS
from access30.suggest.tour import TourOptions

st.set_page_config(page_title="access30 — accès aux lieux d'accueil social", page_icon="🧭", layout="wide")

BASELINE = "Situation actuelle"
OTHER_DEPARTEMENT = "autre"
MAX_UPLOAD_MB = {"network": 300, "population": 300, "sites": 20, "communes": 100, "gtfs": 200}
#: Limits of the other uploaders (the sectorisation, the national GeoPackage), by their key after « up_ ».
EXTRA_UPLOAD_MB = {"sectors": 20, "national": 100}
TABLE_TYPES = ["csv", "txt", "tsv", "gz", "xlsx", "xls", "ods"]
LAYER_TYPES = ["gpkg", "geojson", "json", "kml", "kmz", "zip"]
#: Coordinate systems offered for tables (the CLI takes any EPSG code).
CRS_CHOICES = {"EPSG:4326": "Longitude et latitude (degrés, WGS84)", "EPSG:2154": "Lambert-93 (mètres, métropole)",
               "EPSG:5490": "UTM 20N (mètres, Guadeloupe, Martinique)", "EPSG:2972": "UTM 22N (mètres, Guyane)",
               "EPSG:2975": "UTM 40S (mètres, La Réunion)", "EPSG:4471": "UTM 38S (mètres, Mayotte)"}
AUTO_COLUMN = "(détection automatique)"
#: Number format of the charts (Vega-Lite locale): decimal comma, narrow no-break space for thousands.
FRENCH_LOCALE = {"number": {"decimal": ",", "thousands": "\u202f", "grouping": [3], "currency": ["", "\u00a0€"]}}


# Streamlit's file uploader has no French text of its own: its English words are hidden and French
# ones drawn in their place (the widget works the same).
FRENCH_UPLOADER_CSS = """
<style>
[data-testid="stFileUploaderDropzoneInstructions"] > div > span,
[data-testid="stFileUploaderDropzoneInstructions"] > div > small { display: none; }
[data-testid="stFileUploaderDropzoneInstructions"] > div::before { content: "Glissez-déposez un fichier ici"; }
[data-testid="stFileUploaderDropzoneInstructions"] > div::after {
  display: block; font-size: 0.8em; opacity: 0.7; }
/* Streamlit writes the size of a chosen file in English units (« 178.5KB »): hidden, the name suffices. */
[data-testid="stFileChipName"] + * { display: none; }
/* The tables' toolbar has English tooltips (« Download as CSV »): the French downloads are in « Export ». */
[data-testid="stElementToolbar"] { display: none; }
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] { display: none; }
[data-testid="stFileUploaderDropzone"] button > div > span::after { content: "Parcourir"; }
[data-testid="stFileUploaderDropzone"] button:not(:has([data-testid="stMarkdownContainer"])) {
  font-size: 0 !important; }
[data-testid="stFileUploaderDropzone"] button:not(:has([data-testid="stMarkdownContainer"]))::after {
  content: "Parcourir"; font-size: 0.875rem; }
</style>
"""


FILES_GUIDE = (
    """
#### Quels fichiers fournir ?

| Fichier | | Formats | Contenu attendu |
|---|---|---|---|
"""
    "| Réseau routier | obligatoire | `.osm.pbf` | Extrait OpenStreetMap du territoire et de ses abords (une dizaine "
    "de km au-delà des limites), par ex. Geofabrik ou BBBike. |\n"
    "| Population | obligatoire | CSV, Excel, LibreOffice, GeoPackage, GeoJSON | Carroyage INSEE (Filosofi, colonne "
    "`Ind`), ou une ligne par commune ou par point avec longitude et latitude (ou une colonne « coordonnées »), ou "
    "des contours avec leur population. Choisissez la colonne qui compte les habitants si elle n'est pas reconnue. |\n"
    "| Lieux d'accueil | facultatif | CSV, Excel, LibreOffice, GeoPackage, GeoJSON | Une ligne par lieu : `nom`, "
    "`type` (CCAS, CIAS, MDS, France Services, centre social, mairie…), longitude et latitude ou adresse géocodée ; "
    "`horaires` facultatif, au format OpenStreetMap (« Mo-Fr 09:00-12:00 »). Sans ce fichier, cochez « Ajouter les "
    "listes nationales de lieux ». |\n"
    "| Contours des communes | facultatif | GeoPackage, GeoJSON | Pour les noms, les contours sur la carte et les "
    "chiffres par commune ; sinon ils viennent de la liste nationale (code du département). |\n"
    """
Les fichiers ne servent qu'au calcul : ils ne sont jamais exécutés. Les coordonnées en Lambert-93 ou en UTM
sont acceptées (choisir le système dans « Coordonnées … (tableau) »). Un fichier mal formé est signalé avec la
ligne ou la colonne en cause et la correction à faire.
"""
)


def selectbox(container, *args, **kwargs):
    """``container.selectbox`` with a French placeholder (Streamlit's own is « Choose an option »)."""
    kwargs.setdefault("placeholder", "Choisir…")
    return container.selectbox(*args, **kwargs)


# --------------------------------------------------------------------------------------------
# Page-level helpers (the shared, bounded caches of the core are in access30/app/shared.py)


@st.cache_data(show_spinner=False, max_entries=8)
def upload_columns(digest: str, path: str) -> list[str]:
    """Column names of an uploaded table or layer (for the population column picker); [] if unreadable."""
    try:
        if is_vector(Path(path)):
            return [c for c in read_vector(Path(path)).columns if c != "geometry"]
        return list(read_table(Path(path)).columns)
    except Access30Error:
        return []


CAPACITY_CHOICES = {"": "aucune", "hours": "heures d'ouverture hebdomadaires (approximation)"}


def with_load(result, study, routing, study_key: str, threshold: float):
    """The result with its load per site when a capacity is chosen (current situation only)."""
    if not st.session_state.get("capacity") or result.scenario is not None \
            or not shared.sites_with_hours(study_key, study):  # the section says why there is no load
        return result
    try:
        return with_capacity(result, shared.capacity_report(study_key, threshold, study, routing))
    except InputError as exc:
        st.warning(for_app(exc))
        return result


def rerun_app_if_asked() -> None:
    """In a panel rerun alone (``st.fragment``): rerun the whole page when a callback changed what it shows."""
    if st.session_state.pop("_rerun_app", False):
        st.rerun(scope="app")


def ask_rerun_app() -> None:
    """From a callback of a panel: the whole page must follow (the scenario, the headline, the map)."""
    st.session_state["_rerun_app"] = True


# --------------------------------------------------------------------------------------------
# Sidebar: territory, threshold, mode


def upload_limits_css() -> str:
    """The size limit written under each uploader: its own (:data:`MAX_UPLOAD_MB`), not one for all."""
    rules = [f'.st-key-up_{role} [data-testid="stFileUploaderDropzoneInstructions"] > div::after '
             f'{{ content: "{mb} Mo au plus"; }}' for role, mb in {**MAX_UPLOAD_MB, **EXTRA_UPLOAD_MB}.items()]
    return "<style>\n" + "\n".join(rules) + "\n</style>"


def sidebar():
    """Read the sidebar widgets; return the source, mode, threshold, study and routing (or stop with a French
    message)."""
    with st.sidebar:
        st.header("Territoire")
        origin = st.radio("Données", ["Territoire intégré", "Mes fichiers"], key="source", horizontal=True)
        # A timetable mode needs a GTFS feed: offered once the planner has given one (below).
        has_feed = st.session_state.get("up_gtfs") is not None
        modes = [k for k, m in MODES.items() if has_feed or not m.timetable]
        mode = st.radio("Mode de déplacement", modes, key="mode", horizontal=True,
                        format_func=lambda key: MODES[key].label)
        transit = transit_controls()
        threshold = float(st.slider("Seuil de temps d'accès (minutes)", 5, 90, 30, 5, key="threshold",
                                    help="Un habitant est « couvert » s'il atteint un lieu d'accueil en ce temps "
                                         "ou moins (30 min : objectif du premier accueil social inconditionnel)."))
        lens = lens_controls(MODES[mode].timetable)
        if origin == "Territoire intégré":
            keys = [*TERRITORIES, OTHER_DEPARTEMENT]
            key = selectbox(st, "Territoire", keys, index=keys.index(DEFAULT_TERRITORY), key="territory",
                               format_func=lambda k: TERRITORIES[k].label if k in TERRITORIES
                               else "Autre département (listes nationales)")
            if key == OTHER_DEPARTEMENT:
                typed = st.text_input("Code du département", value="", key="departement", placeholder="ex. 29",
                                      help="Code INSEE : 01 à 95, 2A, 2B, 971 à 976. Population : "
                                           "carroyage INSEE 200 m "
                                           f"s'il est en cache, sinon à la mairie ; {described()}.")
                key = typed.strip().upper()
                if not key:
                    st.stop()  # nothing to load until a code is typed
                if not is_departement_code(key):
                    st.error(f"« {html.escape(key)} » n'est pas un code de département (01 à 95, 2A, 2B, 971 à 976).")
                    st.stop()
            if key not in TERRITORIES or TERRITORIES[key].network is None:
                st.caption("Réseau routier téléchargé depuis OpenStreetMap au premier usage (connexion internet "
                           "requise), puis gardé en cache.")
            source = Source(f"builtin|{key}", territory=key)
        else:
            source = user_files_panel()
        st.divider()
        st.caption("access30 — logiciel libre. Fond de carte et réseau : © les contributeurs d'OpenStreetMap.")
    if source is None:
        st.info("Chargez au moins un réseau routier (.osm.pbf) et un fichier de population dans la barre latérale "
                "pour lancer l'étude de votre territoire.")
        if st.session_state.get("source") == "Mes fichiers":
            st.markdown(FILES_GUIDE)
        st.stop()
    st.session_state["scope"] = source.scope  # scenarios belong to the territory or files, not to the mode
    source = replace(source, transit=transit)
    study_key = source.key(mode)
    failed = st.session_state.setdefault("failed_loads", {})
    if study_key in failed:
        st.error(failed[study_key])
        if st.button("Réessayer", key="retry_load"):
            failed.pop(study_key, None)
            st.rerun()
        st.stop()
    try:
        with st.spinner("Chargement du territoire (réseau routier, population, lieux d'accueil"
                        + (", horaires du flux GTFS)…" if MODES[mode].timetable else ")…")):
            study = source.study(mode)
        with st.spinner("Calcul des temps d'accès sur le réseau…"):
            routing = shared.routed(study_key, study)
    except NetworkUnavailableError as exc:
        failed[study_key] = (f"Le réseau routier de « {exc.label or 'ce territoire'} » n'est pas encore sur cet "
                             "ordinateur, et OpenStreetMap n'est pas joignable (pas de connexion internet). Deux "
                             "possibilités : reconnectez-vous puis cliquez sur « Réessayer » (le réseau sera "
                             "téléchargé une fois, puis conservé) ; ou choisissez « Mes fichiers » et chargez un "
                             "extrait OpenStreetMap (.osm.pbf) du territoire.")
        st.error(failed[study_key])
        st.stop()
    except InputError as exc:
        st.error(f"Données refusées — {for_app(exc)}")
        st.stop()
    return source, mode, threshold, study, routing, lens


#: Days offered for the moment of the opening-hours lens.
DAY_CHOICES = list(range(7))


def lens_controls(timetable: bool) -> Lens:
    """The lens and, for road modes, the wait for an opening (a moment drawn at random over four weeks)."""
    lens = lens_kind_controls(timetable)
    if timetable:
        return lens
    wait = st.checkbox("Attente d'une ouverture (jours, sur un cycle de quatre semaines)", key="lens_wait",
                       help="Pour les habitants à portée d'un lieu : combien de temps, depuis un moment pris au "
                            "hasard, jusqu'à la prochaine ouverture d'un lieu qu'ils atteignent dans le seuil.")
    return replace(lens, wait=bool(wait))


def lens_kind_controls(timetable: bool) -> Lens:
    """« Lecture des lieux »: the nearest site at any hour, those open at a moment or at the hours of people in
    work, or the sector's site. With a timetable mode the moment is the feed's (below) and hours apply."""
    if timetable:
        st.caption("En transports en commun, seuls les lieux ouverts à l'arrivée comptent (horaires lus), au "
                   "moment de départ choisi ci-dessus.")
        return Lens()
    kind = st.radio("Lecture des lieux", LENSES, key="lens", format_func=LENS_LABELS_FR.get,
                    help="Lieu le plus proche à toute heure ; ou seuls les lieux ouverts à un moment de la semaine "
                         "(horaires des listes ou colonne « horaires ») ; ou ceux ouverts après 17 h 30 en semaine "
                         "ou le week-end ; ou le lieu du secteur auquel chaque commune est rattachée.")
    if kind == MOMENT:
        c1, c2 = st.columns(2)
        day = c1.selectbox("Jour", DAY_CHOICES, index=1, key="lens_day", format_func=lambda d: DAY_NAMES_FR[d])
        hour = c2.time_input("Heure", value=dt.time(18, 0), step=900, key="lens_time")
        return Lens(MOMENT, at=f"{DAY_NAMES_FR[day]} {hour.hour:02d}:{hour.minute:02d}")
    if kind == SECTORS:
        upload = st.file_uploader("Sectorisation (code_insee, site_id), facultatif", type=TABLE_TYPES,
                                  key="up_sectors",
                                  help="Une ligne par commune : son code INSEE et l'identifiant (site_id) du lieu "
                                       "de son secteur. Sans fichier : la sectorisation livrée pour le département "
                                       "(Finistère), s'il en a une.")
        if upload is not None:
            return Lens(SECTORS, sectors=uploads.saved(upload, uploads.digest(upload)))
        return Lens(SECTORS)
    return Lens(kind)


def transit_controls() -> TransitChoice | None:
    """« Transports en commun »: a GTFS feed, the moment (« mardi 09:00 ») or a date, and the departure window."""
    with st.expander("Transports en commun (flux GTFS)", expanded=st.session_state.get("up_gtfs") is not None):
        feed = st.file_uploader("Flux d'horaires GTFS (.zip)", type=["zip"], key="up_gtfs",
                                help="Le flux publié par l'autorité organisatrice (transport.data.gouv.fr). Il n'est "
                                     "jamais exécuté : seuls ses fichiers texte sont lus.")
        when = st.text_input("Moment du départ", value="mardi 09:00", key="gtfs_when",
                             help="Un jour et une heure ; sans date, le jour de ce nom de la semaine la plus "
                                  "chargée du flux.")
        date = st.text_input("Date (AAAA-MM-JJ, facultatif)", value="", key="gtfs_date").strip()
        window = int(st.number_input("Fenêtre de départs (minutes)", 10, 240, 90, 10, key="gtfs_window",
                                     help="Temps médian sur les départs de cette fenêtre."))
        if feed is None:
            st.caption("Chargez un flux pour proposer le mode « Transports en commun ».")
            return None
        if feed.size > MAX_UPLOAD_MB["gtfs"] * 2**20:
            st.error(f"Flux « {html.escape(feed.name)} » trop volumineux : {MAX_UPLOAD_MB['gtfs']} Mo au plus.")
            return None
        digest = uploads.digest(feed)
        return TransitChoice(uploads.saved(feed, digest), digest, when.strip() or None, date or None, window)


def user_files_panel():
    """« Mes fichiers »: uploads and the French controls for what the command line takes as options.

    Returns the source of the user's study, or None until a network and a population are given. Each file
    is hashed and written to disk once (:mod:`access30.app.uploads`); the same files and options give the
    same (shared) study.
    """
    st.caption("Chargez vos fichiers ; le détail de ce qui est attendu s'affiche à droite.")
    files = {
        "network": st.file_uploader("Réseau routier (.osm.pbf)", type=["pbf"], key="up_network"),
        "population": st.file_uploader("Population (CSV, classeur, GeoPackage, GeoJSON)",
                                       type=TABLE_TYPES + LAYER_TYPES, key="up_population"),
        "sites": st.file_uploader("Lieux d'accueil (CSV, classeur, GeoPackage, GeoJSON)",
                                  type=TABLE_TYPES + LAYER_TYPES, key="up_sites"),
        "communes": st.file_uploader("Contours des communes (facultatif)", type=LAYER_TYPES, key="up_communes"),
    }
    population = files["population"]
    columns = []
    if population is not None and population.size <= MAX_UPLOAD_MB["population"] * 2**20:
        digest = uploads.digest(population)
        columns = upload_columns(digest, str(uploads.saved(population, digest)))
    column = selectbox(st, "Colonne de population", [AUTO_COLUMN, *columns], key="up_column",
                          help="Inutile pour un carroyage INSEE (colonne Ind ou ind) ; sinon la colonne qui compte "
                               "les habitants, par ex. population_municipale.")
    crs_keys = list(CRS_CHOICES)
    population_crs = selectbox(st, "Coordonnées de la population (tableau)", crs_keys, format_func=CRS_CHOICES.get,
                                  key="up_population_crs")
    sites_crs = selectbox(st, "Coordonnées des lieux d'accueil (tableau)", crs_keys, format_func=CRS_CHOICES.get,
                             key="up_sites_crs")
    departement = st.text_input("Code du département (facultatif)", value="", key="up_departement",
                                help="Pour les noms des communes, les EPCI et les listes nationales de lieux ; lu "
                                     "dans les codes communes de la population s'il n'est pas donné.").strip().upper()
    national = st.checkbox(f"Ajouter les listes nationales de lieux ({described()})", key="up_national")
    partial = st.checkbox("Réseau partiel (routes principales seulement)", key="up_partial")
    max_access = float(st.number_input("Distance maximale à une route (m)", 100, 20_000, 1_000, 100,
                                       key="up_max_access"))
    label = st.text_input("Nom du territoire", value="Mon territoire", key="up_label")
    if files["network"] is None or population is None:
        return None
    paths, digest = {}, hashlib.sha256()
    for role, upload in files.items():
        if upload is None:
            paths[role] = None
            continue
        size_mb = upload.size / 2**20
        if size_mb > MAX_UPLOAD_MB[role]:
            st.error(f"Fichier « {html.escape(upload.name)} » trop volumineux ({fmt_int(size_mb)} Mo) : "
                     f"{MAX_UPLOAD_MB[role]} Mo au plus pour ce type de fichier. Découpez l'extrait au territoire "
                     "étudié.")
            st.stop()
        content = uploads.digest(upload)
        digest.update(role.encode() + upload.name.encode() + content.encode())
        paths[role] = uploads.saved(upload, content)
    request = StudyRequest(
        network=paths["network"], population=paths["population"], sites=paths["sites"], communes=paths["communes"],
        population_column=None if column == AUTO_COLUMN else column, population_crs=population_crs,
        sites_crs=sites_crs, departement=departement or None,
        sites_builtin=tuple(INVENTORIES) if national else None, partial_network=partial, max_access_m=max_access,
        label=label or "Mon territoire")
    digest.update(repr(request).encode())
    return Source("user|" + digest.hexdigest()[:20], request=request)


# --------------------------------------------------------------------------------------------
# Scenario state (kept per territory in the session)


def scenarios() -> dict:
    return st.session_state.setdefault("scenarios", {})


def reset_scenarios_if_new_territory(scope: str) -> None:
    """Scenarios are kept across a change of mode or threshold (recomputed); a new territory starts afresh."""
    if st.session_state.get("scenario_territory") != scope:
        st.session_state["scenario_territory"] = scope
        st.session_state["scenarios"] = {}
        st.session_state["active"] = BASELINE
        st.session_state.pop("compare_b", None)


def active_name() -> str:
    name = st.session_state.get("active", BASELINE)
    return name if name in scenarios() else BASELINE


def active_changes() -> tuple:
    return tuple(scenarios().get(active_name(), ()))


def push_change(study, routing, study_key: str, change: tuple) -> None:
    """Append a change to the active scenario (creating one when the baseline is shown)."""
    name = active_name()
    if name == BASELINE:
        number = len(scenarios()) + 1
        while f"Scénario {number}" in scenarios():
            number += 1
        name = f"Scénario {number}"
        scenarios()[name] = ()
    changes = tuple(scenarios()[name]) + (change,)
    ask_rerun_app()
    try:
        cache.state(study_key, changes, study, routing)  # validates the change (InputError)
    except InputError as exc:
        st.session_state["flash"] = ("error", for_app(exc))
        if not scenarios()[name]:
            scenarios().pop(name)
        return
    scenarios()[name] = changes
    st.session_state["active"] = name
    st.session_state["flash"] = ("success", f"« {name} » mis à jour.")


# --------------------------------------------------------------------------------------------
# Sections


def headline(result, base, study, threshold: float, mode: str, name: str) -> None:
    s = result.summary
    covered, share = s.population_covered, s.share_covered
    beyond = s.population_uncovered + s.population_no_road
    delta = name != BASELINE
    b = base.summary
    cols = st.columns(6)
    cols[0].metric("Population couverte", fmt_int(covered),
                   **_change(delta, fmt_int(covered - b.population_covered) + " hab."),
                   help=f"Habitants à {fmt_num(threshold)} min ou moins du lieu d'accueil le plus proche "
                        f"{mode_words(mode)}.")
    cols[1].metric("Part couverte", fmt_pct(share), **_change(delta, fmt_points(share - b.share_covered)))
    cols[2].metric(f"Au-delà de {fmt_num(threshold)} min", fmt_int(beyond),
                   **_change(delta, fmt_int(beyond - b.population_uncovered - b.population_no_road) + " hab.",
                             inverse=True),
                   help=f"Dont {fmt_int(s.population_no_road)} sans accès routier (à plus de "
                        f"{fmt_metres(s.max_access_m)} de toute route du réseau).")
    cols[3].metric("Temps moyen", fmt_min(s.mean_time_min),
                   **_change(delta, fmt_min(s.mean_time_min - b.mean_time_min), inverse=True))
    cols[4].metric("Temps médian", fmt_min(s.median_time_min),
                   help="La moitié de la population est à ce temps ou moins du lieu le plus proche.")
    cols[5].metric("90e centile", fmt_min(s.p90_time_min),
                   help="90 % de la population est à ce temps ou moins du lieu le plus proche.")
    network = "réseau partiel (routes principales)" if s.network_partial else "réseau OpenStreetMap complet"
    network = f"{network} « {s.network_source} »"
    estimated = f"part estimée des temps (trajets d'approche hors réseau) : {fmt_pct(s.estimated_time_share, 0)}"
    if s.transit is not None:  # a timetable: the feed, its day and window, and the walk to and from stops
        t = s.transit
        network = (f"horaires du flux GTFS « {html.escape(t.feed_file)} » du {fmt_iso_date(t.service_date)}, départs "
                   f"{html.escape(t.window)}, marche à pied comprise")
        estimated = "temps médian sur les départs de la fenêtre"
    st.caption(
        f"**Ce que mesurent ces chiffres** — population comptée : {s.population_label} "
        f"({fmt_int(s.population_total)} au total). Seuil : {fmt_num(threshold)} min {mode_words(mode)} jusqu'au lieu "
        f"d'accueil le plus proche ({sites_counted(s, result.scenario.added if result.scenario else 0)}"
        + (f", scénario « {html.escape(name)} »" if delta else "") + f"). Réseau : {network}. "
        f"Temps moyen, médian et 90e centile pondérés par la population ; {estimated}.")


def notices_box(result) -> None:
    with st.expander(f"Avertissements et hypothèses ({len(result.notices)}) — à lire avant d'utiliser les chiffres"):
        for notice in result.notices:
            st.markdown(f"- {without_cache_root(notice.message)}")


def french(frame: pd.DataFrame, kinds: dict[str, str]):
    """The table shown the French way (« 176 836 », « 98,8 % », « 11,3 »; « – » when missing).

    ``kinds`` maps columns to ``int`` (people, counts), ``pct`` (a share 0–1) or ``min`` (minutes);
    the values stay numbers, so that clicking a header still sorts them as numbers.
    """
    formats = {"int": lambda v: fmt_int(v), "pct": lambda v: fmt_pct(v),
               "min": lambda v: fmt_num(round(float(v), 1)) if np.isfinite(v) else "–"}
    return frame.style.format({c: formats[k] for c, k in kinds.items() if c in frame.columns}, na_rep="–")


def class_table(result) -> pd.DataFrame:
    table = population_by_class(result.units, result.threshold_min)
    return pd.DataFrame({"Classe de temps": table["label"], "Population": table["population"],
                         "Part (%)": 100 * table["share"], "couleur": table["colour"]})


AREA_KINDS = {"Population": "int", "Au-delà du seuil": "int", "Part couverte": "pct", "Temps moyen (min)": "min",
              "Médiane (min)": "min", "90e centile (min)": "min"}


def area_table(frame: pd.DataFrame, key: str, key_label: str, name_col: str, threshold: float) -> pd.DataFrame:
    out = pd.DataFrame({
        key_label: frame[name_col].fillna("").astype(str).where(frame[name_col].fillna("") != "",
                                                                frame[key].astype(str)),
        "Code": frame[key].astype(str),
        "Population": frame["population"].round(0),
        "Au-delà du seuil": (frame["uncovered"] + frame["no_road"]).round(0),
        "Part couverte": frame["share_covered"],
        "Temps moyen (min)": frame["mean_min"],
        "Médiane (min)": frame["median_min"],
        "90e centile (min)": frame["p90_min"],
    })
    if "epci_nom" in frame.columns and key == "commune":
        out["EPCI"] = frame["epci_nom"].fillna("").astype(str)
    return out


def indicators_tab(result, threshold: float, mode: str, hours_known: int) -> None:
    s = result.summary
    left, right = st.columns([1, 1])
    with left:
        st.subheader("Population par classe de temps d'accès")
        table = class_table(result)
        chart = alt.Chart(table).mark_bar().encode(
            x=alt.X("Classe de temps:N", sort=list(table["Classe de temps"]), title=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("Population:Q", title="Habitants", axis=alt.Axis(format=",.0f")),
            color=alt.Color("Classe de temps:N", scale=alt.Scale(domain=list(table["Classe de temps"]),
                                                                 range=list(table["couleur"])),
                            legend=None),
            tooltip=["Classe de temps", alt.Tooltip("Population:Q", format=",.0f"),
                     alt.Tooltip("Part (%):Q", format=".1f")],
        ).properties(height=280).configure(locale=FRENCH_LOCALE)
        st.altair_chart(chart, width="stretch")
        st.caption(f"Habitants selon le temps d'accès {mode_words(mode)} au lieu d'accueil le plus proche "
                   "(« sans accès routier » : à plus de "
                   f"{fmt_metres(s.max_access_m)} de toute route du réseau, jamais comptés comme couverts).")
    with right:
        st.subheader("Publics prioritaires")
        eq = result.equity
        frame = pd.DataFrame({
            "Public": [EQUITY_LABELS_FR.get(g, g) for g in eq["group"]],
            "Effectif": eq["total"].round(0),
            "Couverts": eq["covered"].round(0),
            "Part couverte": eq["share_covered"],
            "Temps moyen (min)": eq["mean_min"],
            "Médiane (min)": eq["median_min"],
            "90e centile (min)": eq["p90_min"],
        })
        st.dataframe(french(frame, {"Effectif": "int", "Couverts": "int", **AREA_KINDS}), hide_index=True,
                     width="stretch", key="equity_table")
        if len(eq) == 1:
            st.caption("Les données de population de ce territoire ne décrivent pas les ménages pauvres, "
                       "familles monoparentales ou personnes âgées : seule la population totale est disponible "
                       "(le carroyage Filosofi de l'INSEE, par ex. en Martinique, les fournit).")
        else:
            st.caption("Effectifs des groupes selon la source de population (ménages ou personnes), couverts au "
                       f"seuil de {fmt_num(threshold)} min ; temps pondérés par l'effectif du groupe.")
    st.subheader("Communes et intercommunalités, les moins bien desservies d'abord")
    level = st.radio("Échelle", ["Communes", "EPCI"] if len(result.epci) else ["Communes"], horizontal=True,
                     key="area_level")
    if level == "Communes":
        frame = area_table(result.communes, "commune", "Commune", "nom", threshold)
    else:
        frame = area_table(result.epci, "epci", "EPCI", "epci_nom", threshold)
    st.dataframe(french(frame, AREA_KINDS), hide_index=True, width="stretch", height=360, key="area_table")
    st.caption(f"« Au-delà du seuil » : habitants à plus de {fmt_num(threshold)} min, ou sans accès routier. Tri : "
               "ce nombre décroissant ; cliquez sur un en-tête pour trier autrement. Populations modélisées arrondies "
               "à l'habitant.")
    st.subheader("Lieux d'accueil")
    sites = result.sites
    names = dict(zip(result.communes["commune"].astype(str), result.communes["nom"].astype(str))) \
        if "nom" in result.communes.columns else {}
    frame = pd.DataFrame({
        "Lieu": sites["name"], "Type": sites["type"].map(SITE_TYPES).fillna(sites["type"]),
        "Commune": [names.get(c, "") or commune_name(c) or c for c in sites["commune"].astype(str)],
        "Habitants dont c'est le lieu le plus proche": sites["catchment_population"].round(0),
        f"dont à {fmt_num(threshold)} min ou moins": sites["catchment_covered"].round(0),
        "Sur le réseau": np.where(sites["on_network"], "oui", "non"),
    })
    if "origin" in sites.columns:
        frame["Scénario"] = np.where(sites["origin"].to_numpy() == sc.ORIGIN_ADDED, "hypothétique", "existant")
    frame = frame.sort_values(frame.columns[3], ascending=False)
    st.dataframe(french(frame, {frame.columns[3]: "int", frame.columns[4]: "int"}), hide_index=True,
                 width="stretch", key="sites_table")
    load_section(result, hours_known)


def no_hours_line(sites: int) -> str:
    """Why the capacity cannot be read: no site has opening hours (the app's capacity is the weekly hours)."""
    return (f"Aucun des {plural(sites, 'lieu', 'lieux')} d'accueil n'a d'horaires d'ouverture lisibles (colonne "
            "« horaires » du fichier des lieux, par ex. « lundi-vendredi 9h-12h ») : la capacité des lieux, "
            "approchée par leurs heures d'ouverture hebdomadaires, ne peut pas être prise en compte.")


def load_section(result, hours_known: int) -> None:
    """« Charge des lieux d'accueil »: the capacity choice, then the load table and the 2SFCA summary."""
    st.subheader("Charge des lieux d'accueil")
    selectbox(st, "Capacité des lieux", list(CAPACITY_CHOICES), format_func=CAPACITY_CHOICES.get, key="capacity",
              disabled=not hours_known)
    report = result.capacity
    if not hours_known:
        st.caption(no_hours_line(len(result.sites)))
        return
    if report is None:
        if st.session_state.get("capacity") and result.scenario is not None:
            st.caption("La charge des lieux se calcule sur la situation actuelle : affichez « Situation actuelle » "
                       "pour la voir avec la capacité choisie.")
        elif st.session_state.get("capacity"):
            st.caption("La charge des lieux se calcule sur le lieu le plus proche à toute heure et par la route : "
                       "choisissez cette lecture pour la voir avec la capacité choisie.")
        else:
            st.caption("Choisissez une capacité pour voir la charge de chaque lieu (situation actuelle seulement).")
        return
    table = load_table(result)
    kinds = {column: {"pop": "int", "pct": "pct"}.get(kind, "min") for column, kind in table.kinds.items()}
    st.dataframe(french(table.frame, kinds), hide_index=True, width="stretch", key="load_table")
    summary = report.fca.summary(report.population)
    st.caption(f"{report.people_label}. Charge : habitants rattachés (lieu le plus proche à "
               f"{fmt_num(result.threshold_min)} min ou moins) par {report.unit}. Indice 2SFCA "
               f"({report.fca.unit_label}) pondéré par la population : "
               f"moyenne {fmt_dec(summary['mean'], 2)}, médiane {fmt_dec(summary['median'], 2)}.")


def _change(shown: bool, text: str, inverse: bool = False) -> dict:
    """``st.metric`` delta arguments: a change that rounds to zero is grey, unsigned and without an arrow (never
    « ↑ 0,0 min » in red, nor « ↑ 0 hab. »); otherwise green when it improves things (``inverse`` when a rise is
    worse)."""
    if not shown:
        return {"delta": None}
    if not any(c in "123456789" for c in text):
        return {"delta": text.lstrip("+-−"), "delta_color": "off", "delta_arrow": "off"}
    # A true minus sign « − », never a hyphen: Streamlit reads only a hyphen as negative, so the arrow and the
    # colour are given here.
    negative = text.startswith(("-", "−"))
    text = "−" + text[1:] if text.startswith("-") else text if negative or text.startswith("+") else "+" + text
    good = negative == inverse
    return {"delta": text, "delta_color": "green" if good else "red", "delta_arrow": "down" if negative else "up"}


def delta_table(base, result, threshold: float) -> pd.DataFrame:
    _, table = sc.compare(base, result)
    if table.empty:
        return table
    return pd.DataFrame({
        "Commune": table["nom"].where(table["nom"] != "", table["commune"]),
        "Population": table["population"].round(0),
        "Couverts avant": table["covered_before"].round(0),
        "Couverts après": table["covered_after"].round(0),
        "Nouvellement couverts": table["covered_change"].round(0),
        "Temps moyen avant (min)": table["mean_min_before"],
        "Temps moyen après (min)": table["mean_min_after"],
    })


DELTA_KINDS = {"Population": "int", "Couverts avant": "int", "Couverts après": "int", "Nouvellement couverts": "int",
               "Temps moyen avant (min)": "min", "Temps moyen après (min)": "min"}


@st.fragment
def scenario_panel(study, routing, study_key: str, base, result, state, threshold: float, clicked,
                   lens: Lens | None = None) -> None:
    """Right of the map: add a site (click or candidate), close a site, see what changes.

    A panel of its own (``st.fragment``): choosing a type, a candidate or a site to close reruns it
    alone; a change of the scenario reruns the page.
    """
    rerun_app_if_asked()
    name = active_name()
    st.markdown(f"**Scénario affiché : {html.escape(name)}**")
    flash = st.session_state.pop("flash", None)
    if flash:
        (st.error if flash[0] == "error" else st.success)(flash[1])
    with st.container(border=True):
        st.markdown("**Ouvrir un lieu**")
        kind = selectbox(st, "Type de lieu", list(SITE_TYPES), index=list(SITE_TYPES).index("ccas"),
                            format_func=lambda k: SITE_TYPES[k], key="new_type", placeholder="Choisir…")
        if clicked:
            lat, lon = clicked["lat"], clicked["lng"]
            st.caption(f"Point cliqué : {fmt_lonlat(lon, lat, 5)}")
            label = st.text_input("Nom du lieu", value="Nouveau lieu d'accueil", key="new_name")
            st.button("Ouvrir un lieu au point cliqué", key="add_click", type="primary",
                      on_click=push_change, args=(study, routing, study_key, ("add", lon, lat, label, kind)))
        else:
            st.caption("Cliquez sur la carte pour placer un lieu, ou choisissez une mairie candidate "
                       f"(gain : habitants nouvellement à {fmt_num(threshold)} min ou moins) :")
        cands = cache.ranking(study_key, active_changes(), threshold, study, routing)
        # A widget of its own per ranking (threshold, scenario): a new ranking shows its best gain first. Clearing
        # one widget's value is not enough, the browser sends back the place it showed.
        ranked_for = hashlib.blake2b(repr((study_key, active_changes(), threshold)).encode(), digest_size=8)
        if len(cands):
            # Options are commune codes, labelled with the gains of the current threshold and scenario: a
            # change of threshold or scenario re-ranks the list, and the pick goes back to its top.
            if cands["newly_covered"].iloc[0] < 0.5:
                st.caption(f"Aucune mairie candidate ne couvrirait un habitant de plus à {fmt_num(threshold)} min "
                           "(liste par ordre alphabétique).")
            pick = selectbox(st, "Mairie candidate (plus grand gain d'abord)", list(cands.index),
                                format_func=lambda code: cands.loc[code, "label"], key=f"cand_{ranked_for.hexdigest()}",
                                placeholder="Choisir…")
            if lens is not None and not lens.plain:
                # The ranking is the nearest site's at any hour: say so beside figures read through a lens.
                st.caption(CANDIDATE_GAINS_ANY_HOUR)
            row = cands.loc[pick]
            st.button("Ouvrir un lieu à cet endroit", key="add_candidate",
                      on_click=push_change,
                      args=(study, routing, study_key,
                            ("add", float(row["lon"]), float(row["lat"]), row["name"], kind)))
    with st.container(border=True):
        st.markdown("**Fermer un lieu**")
        open_sites = state.sites[state.open_mask]
        if len(open_sites):
            ids = open_sites["site_id"].astype(str).tolist()
            labels = dict(zip(ids, open_sites["name"].astype(str)))
            choice = selectbox(st, "Lieu à fermer", ids, format_func=lambda i: labels[i], key="close_pick",
                                  placeholder="Choisir…")
            st.button("Fermer ce lieu", key="close_site", on_click=push_change,
                      args=(study, routing, study_key, ("close", choice)))
    changes = active_changes()
    if changes:
        delta, _ = sc.compare(base, result)
        st.markdown(f"**Effet par rapport à la situation actuelle** "
                    f"({plural(len(changes), 'modification', 'modifications')})")
        for line in sc.change_lines(state):
            st.markdown(f"- {html.escape(line)}")
        st.markdown(f"Population nouvellement couverte : **{fmt_int(delta['covered'])}** hab. "
                    f"({fmt_pct(result.summary.share_covered)} couverts, "
                    f"{fmt_points(delta['share_covered'])})")
        moved = delta_table(base, result, threshold)
        if len(moved):
            st.dataframe(french(moved, DELTA_KINDS), hide_index=True, width="stretch", key="delta_table", height=220)
        else:
            st.caption("Aucune commune ne change.")
        st.button("Annuler la dernière modification", key="undo", on_click=undo)


def undo() -> None:
    ask_rerun_app()
    name = active_name()
    if name != BASELINE and scenarios().get(name):
        scenarios()[name] = tuple(scenarios()[name])[:-1]


def map_tab(study, routing, study_key, view_key, base, result, state, threshold, lens: Lens) -> None:
    left, right = st.columns([3, 1.35])
    changes = tuple(state.changes) if state is not None else ()
    with left:
        found = stored_suggestion(study_key, threshold) if state is not None else None
        suggested = found[0].suggested if found else None

        def layers() -> list:
            areas = cache.areas(view_key, changes, threshold, result)
            closed = state.sites[state.closed] if state is not None and state.closed.any() else None
            extra = lens_layers(study, result, lens, threshold)
            drawn = webmap.map_layers(result, study.communes, areas, closed_sites=closed, suggestions=suggested)
            return drawn[:-1] + extra + drawn[-1:]  # the legend stays last

        what = (view_key, changes, threshold, result.capacity is not None,
                (found[2], found[0].seconds) if found else None)
        with st.spinner("Préparation de la carte…"):
            out = mapview.draw(shared.map_bounds(study_key, study), what, layers)
        st.caption("Couleur : temps d'accès au lieu le plus proche (unités de population regroupées par commune et "
                   "classe). "
                   f"Contour rouge : population au-delà de {fmt_num(threshold)} min. "
                   "Cliquez sur un lieu pour ses horaires et "
                   "sa population desservie ; le sélecteur de couches est en haut à droite.")
    clicked = (out or {}).get("last_clicked") if isinstance(out, dict) else None
    with right:
        if state is None:
            st.info(TIMETABLE_NO_SCENARIO)
            return
        scenario_panel(study, routing, study_key, base, result, state, threshold, clicked, lens)


#: Beside a lens (hours, sectors): what the candidates' gains count.
CANDIDATE_GAINS_ANY_HOUR = ("Gains des mairies candidates : habitants nouvellement couverts par le lieu le plus "
                            "proche, à toute heure et sans attente (un lieu ouvert ici n'a pas d'horaires connus). "
                            "Les chiffres du scénario, eux, suivent la lecture des lieux choisie.")

#: Why scenarios and suggestions are by road only.
TIMETABLE_NO_SCENARIO = ("Scénarios et suggestions se font par la route (voiture ou à pied) : en transports en commun, "
                         "un lieu hypothétique n'a pas d'horaires de desserte. Choisissez un mode routier pour les "
                         "préparer ; ils sont conservés.")


def lens_layers(study, result, lens: Lens, threshold: float) -> list:
    """The map layers of the lens: the sites closed at its moment, or the communes where the sector's site
    falls short of the nearest."""
    layers = []
    if lens.kind in (MOMENT, WORKERS) and result.summary.hours is not None:
        layers.append(webmap.closed_sites_layer(lenses.closed_now(study.sites, lens), result.summary.hours.when,
                                                threshold))
    if result.sectors is not None:
        layers.append(webmap.sector_gap_layer(study.communes, result.sectors.communes, threshold))
    return [layer for layer in layers if layer is not None]


def lens_banner(result, lens: Lens, threshold: float) -> None:
    """What the lens changes, said above the figures."""
    hours = result.summary.hours
    if hours is not None:
        unknown = (f" ; {plural(hours.sites_hours_unknown, 'lieu', 'lieux')} aux horaires inconnus, comptés à part "
                   f"(s'ils étaient ouverts : {fmt_pct(hours.share_covered_if_unknown_open)} couverts)"
                   if hours.sites_hours_unknown else "")
        st.info(f"**Lecture : lieux ouverts {html.escape(hours.when)}** — "
                f"{plural(hours.sites_open, 'lieu ouvert', 'lieux ouverts')} sur {fmt_int(hours.sites_all)}, "
                f"{plural(hours.sites_closed, 'fermé', 'fermés')} (grisés sur la carte)"
                f"{unknown}. Les chiffres ci-dessous ne comptent que les lieux ouverts.", icon=":material/schedule:")
    elif lens.kind == SECTORS and result.sectors is None:
        st.warning("Lecture « secteurs » : ce territoire n'a pas de sectorisation livrée. Chargez un fichier "
                   "code_insee, site_id dans la barre latérale.")
    elif result.sectors is not None:
        s = result.sectors.summary
        st.info(f"**Lecture : lieu du secteur ({html.escape(s.source)})** — {fmt_pct(s.share_covered_assigned)} des "
                f"habitants sectorisés à {fmt_num(threshold)} min ou moins du lieu de leur secteur, contre "
                f"{fmt_pct(s.share_covered_nearest)} pour le lieu le plus proche ; écart : {fmt_int(s.population_gap)} "
                "habitants. Les chiffres ci-dessous sont ceux du lieu le plus proche.", icon=":material/map:")


def sectors_section(result, threshold: float) -> None:
    """Coverage to the sector's site next to the nearest, and the communes where the two differ most."""
    st.subheader("Secteurs : lieu de rattachement et lieu le plus proche")
    for line in sector_lines(result.sectors, threshold):
        st.markdown(f"- {html.escape(line)}")
    table = result.sectors.communes
    frame = pd.DataFrame({
        "Commune": table["nom"].where(table["nom"] != "", table["commune"]), "Lieux du secteur": table["sector_sites"],
        "Habitants": table["population"].round(0),
        "Part couverte (secteur)": table["share_assigned"], "Part couverte (plus proche)": table["share_nearest"],
        "Écart (hab.)": table["gap"].round(0), "Temps moyen au secteur (min)": table["mean_assigned_min"]})
    st.dataframe(french(frame, {"Habitants": "int", "Écart (hab.)": "int", "Part couverte (secteur)": "pct",
                                "Part couverte (plus proche)": "pct", "Temps moyen au secteur (min)": "min"}),
                 hide_index=True, width="stretch", key="sectors_table")


def wait_section(result) -> None:
    """The wait for an opening within reach: weekly, fortnightly or rarer openings, mean and 90th percentile."""
    st.subheader("Attente d'une ouverture")
    for line in wait_lines(result.wait)[1:]:
        st.markdown(html.escape(line))
    table = result.wait.communes
    if len(table):
        frame = pd.DataFrame({"Commune": table["nom"].where(table["nom"] != "", table["commune"]),
                              "Attente moyenne (jours)": table["mean_wait_days"]})
        st.dataframe(french(frame, {"Attente moyenne (jours)": "min"}), hide_index=True, width="stretch",
                     key="wait_table")


def outreach_tab(source: Source, mode: str, study, routing, study_key: str, threshold: float) -> None:
    """« Hors les murs »: the exact round of a mobile team, drawn, and opened as a scenario to edit."""
    st.subheader("Hors les murs : la tournée d'une équipe mobile")
    st.caption("Les arrêts et leurs demi-journées qui mettent le plus d'habitants non couverts à portée "
               f"({fmt_num(threshold)} min {mode_words(mode)}) d'un lieu ouvert au moins une fois sur le cycle ; "
               "l'équipe part de sa base en voiture (optimisation exacte, comme « access30 tour »).")
    c = st.columns(4)
    half_days = int(c[0].number_input("Demi-journées par semaine", 1, 14, 4, key="tour_half_days"))
    stop_hours = float(c[1].number_input("Durée d'un arrêt (h)", 0.5, 4.0, 3.0, 0.5, key="tour_stop_hours"))
    max_drive = float(c[2].number_input("Route depuis la base (min, au plus)", 10, 180, 60, 5, key="tour_max_drive"))
    weeks = int(selectbox(c[3], "Rythme", [1, 2], key="tour_weeks",
                          format_func={1: "chaque semaine", 2: "une semaine sur deux (A / B)"}.get))
    if st.button("Calculer la tournée", key="tour_run", type="primary"):
        st.session_state["tour_ask"] = TourOptions(half_days=half_days, stop_hours=stop_hours,
                                                   max_drive_min=max_drive, weeks=weeks)
    ask = st.session_state.get("tour_ask")
    if ask is None:
        return
    try:
        with st.spinner("Tournée : arrêts et trajets de l'équipe (optimisation exacte)…"):
            plan = outreach.tour(study_key, source.request_for(mode), threshold, ask, study, routing)
    except InputError as exc:
        st.error(for_app(exc))
        return
    if plan.stops.empty:  # nobody to bring within reach: the reason and where zones blanches show, no empty table
        more = readings.other_readings(shared.baseline(study_key, threshold, study, routing), threshold, mode)
        st.info(f"Aucun arrêt proposé : {html.escape(plan.status, quote=False)}. {more}".strip(),
                icon=":material/check_circle:")
        return
    cols = st.columns(3)
    cols[0].metric("Couverts sans la tournée", fmt_int(plan.population_covered_before))
    cols[1].metric("Couverts avec la tournée", fmt_int(plan.population_covered_after),
                   **_change(True, fmt_int(plan.objective) + " hab."))
    cols[2].metric("Écart à l'optimum", "0 (optimum prouvé)" if plan.optimal else fmt_pct(plan.gap))
    st.caption(html.escape(plan.status) + f" — base : {html.escape(str(plan.base['name']))}.")
    stops = plan.stops
    st.dataframe(pd.DataFrame({
        "Ordre": stops["order"], "Semaine": stops["week"], "Jour": stops["day"], "Demi-journée": stops["half_day_fr"],
        "Arrêt": stops["name"], "Horaires": stops["hours_fr"],
        "Route depuis la base (min)": stops["drive_from_base_min"].round(0),
        "Habitants nouvellement couverts": stops["population_newly_covered"].round(0)}),
        hide_index=True, width="stretch", key="tour_table")
    mapview.draw(shared.map_bounds(study_key, study), ("tour", study_key, threshold, ask),
                 lambda: outreach.route_layers(plan), key="tour_map")
    st.button("Modifier la tournée comme scénario", key="tour_scenario", on_click=open_tour_scenario,
              args=(study, routing, study_key, plan),
              help="Les arrêts deviennent des lieux hypothétiques d'un scénario « Tournée hors les murs » : "
                   "retirez-en un (« Fermer un lieu ») ou déplacez-le (retirez-le, puis ouvrez un lieu au point "
                   "cliqué) et voyez aussitôt l'effet.")


def open_tour_scenario(study, routing, study_key: str, plan) -> None:
    """The round's stops as the changes of a new scenario, shown at once."""
    ask_rerun_app()
    name = "Tournée hors les murs"
    number = 2
    while name in scenarios():
        name = f"Tournée hors les murs {number}"
        number += 1
    changes = outreach.as_changes(plan)
    try:
        cache.state(study_key, changes, study, routing)
    except InputError as exc:
        st.session_state["flash"] = ("error", for_app(exc))
        return
    scenarios()[name] = changes
    st.session_state["active"] = name
    st.session_state["flash"] = ("success", f"« {name} » : {len(changes)} arrêts ouverts comme lieux hypothétiques.")


def transit_section(result) -> None:
    """Public transport: coverage at 30, 45 and 60 min (people, households, poor households), the lines used."""
    t = result.summary.transit
    st.subheader("Transports en commun")
    agencies = ", ".join(t.feed_agencies) or "agence non déclarée"
    st.markdown(f"Flux « {html.escape(t.feed_file)} » ({html.escape(agencies)}) ; "
                f"horaires du {fmt_iso_date(t.service_date)}, départs {html.escape(t.window)} ; temps médian sur "
                "les départs de la fenêtre, marche comprise.")
    rows = [{"Seuil (min)": key, "Public": EQUITY_LABELS_FR.get(group, group), "Couverts": figures["covered"],
             "Part couverte": figures["share_covered"]}
            for key, groups in t.thresholds.items() for group, figures in groups.items()]
    st.dataframe(french(pd.DataFrame(rows), {"Couverts": "int", "Part couverte": "pct"}), hide_index=True,
                 width="stretch", key="transit_table")
    if t.routes:
        st.markdown("**Lignes empruntées par les trajets médians des habitants couverts** :")
        st.dataframe(pd.DataFrame({"Ligne": [r["route"] for r in t.routes], "Nom": [r["name"] for r in t.routes],
                                   "Habitants": [fmt_int(r["population"]) for r in t.routes]}),
                     hide_index=True, width="stretch", key="transit_lines")


def create_scenario() -> None:
    ask_rerun_app()
    name = st.session_state.get("new_scenario_name", "").strip()
    if not name or name == BASELINE or name in scenarios():
        st.session_state["flash_scenarios"] = "Donnez un nom nouveau et non vide au scénario."
        return
    scenarios()[name] = ()
    st.session_state["active"] = name


def delete_scenario(target: str) -> None:
    ask_rerun_app()
    scenarios().pop(target, None)
    if st.session_state.get("active") == target:
        st.session_state["active"] = BASELINE


@st.fragment
def scenarios_tab(study, routing, study_key, base, threshold) -> None:
    """« Comparer les scénarios »: a panel of its own (choosing A or B reruns it alone)."""
    rerun_app_if_asked()
    st.subheader("Scénarios")
    if "flash_scenarios" in st.session_state:
        st.error(st.session_state.pop("flash_scenarios"))
    c1, c2 = st.columns([2, 1])
    with c1:
        st.text_input("Nom d'un nouveau scénario", key="new_scenario_name", placeholder="ex. Point mobile Uzel")
    with c2:
        st.write("")
        st.button("Créer le scénario", key="create_scenario", on_click=create_scenario)
    if not scenarios():
        st.info("Aucun scénario pour l'instant : ouvrez ou fermez un lieu depuis l'onglet Carte (un scénario est créé "
                "automatiquement), ou créez-en un ici puis modifiez-le sur la carte.")
        return
    rows = []
    for name, changes in scenarios().items():
        try:
            s = cache.result(study_key, tuple(changes), threshold, study, routing).summary
        except InputError:  # made in another mode, not replayable in this one
            continue
        rows.append({"Scénario": name, "Modifications": len(changes),
                     "Population couverte": round(s.population_covered),
                     "Part couverte": s.share_covered,
                     "Nouvellement couverts": round(s.population_covered - base.summary.population_covered),
                     "Temps moyen (min)": s.mean_time_min})
    st.dataframe(french(pd.DataFrame(rows), {"Modifications": "int", "Population couverte": "int",
                                             "Part couverte": "pct", "Nouvellement couverts": "int",
                                             "Temps moyen (min)": "min"}),
                 hide_index=True, width="stretch", key="scenarios_table")
    names = [BASELINE, *scenarios()]
    st.markdown("**Comparer deux scénarios côte à côte**")
    a_col, b_col = st.columns(2)
    a = selectbox(a_col, "Scénario A", names, index=0, key="compare_a")
    b = selectbox(b_col, "Scénario B", names, index=min(1, len(names) - 1), key="compare_b")
    for col, name in ((a_col, a), (b_col, b)):
        changes = tuple(scenarios().get(name, ()))
        res = cache.result(study_key, changes, threshold, study, routing)
        state = cache.state(study_key, changes, study, routing)
        s = res.summary
        with col:
            st.metric(f"{name} — population couverte", fmt_int(s.population_covered), fmt_pct(s.share_covered),
                      delta_color="off")
            st.metric(f"{name} — temps moyen", fmt_min(s.mean_time_min))
            for line in sc.change_lines(state) or ["aucune modification"]:
                st.markdown(f"- {html.escape(line)}")
    res_a = cache.result(study_key, tuple(scenarios().get(a, ())), threshold, study, routing)
    res_b = cache.result(study_key, tuple(scenarios().get(b, ())), threshold, study, routing)
    delta, _ = sc.compare(res_a, res_b)
    st.markdown(f"**B par rapport à A** : {fmt_int(delta['covered'])} habitants couverts en plus, "
                f"temps moyen {fmt_min(delta['mean_time_min'])}.")
    moved = delta_table(res_a, res_b, threshold)
    if len(moved):
        st.dataframe(french(moved, DELTA_KINDS), hide_index=True, width="stretch", key="compare_table")
    c3, c4 = st.columns(2)
    with c3:
        target = selectbox(st, "Supprimer un scénario", list(scenarios()), key="delete_pick")
    with c4:
        st.write("")
        st.button("Supprimer", key="delete_scenario", on_click=delete_scenario, args=(target,))


def stored_suggestion(study_key: str, threshold: float):
    """``(suggestion, notices, question)`` of the last suggestion made for this study and threshold, or None."""
    stored = st.session_state.get("suggestion")
    if not stored or stored[0] != study_key or stored[1] != threshold:
        return None
    return stored[2], stored[3], stored[4]


@st.fragment(run_every=0.5)
def suggestion_progress() -> None:
    """While a suggestion runs: its progress line, refreshed twice a second; once done, the page shows it."""
    asked = st.session_state.get("suggestion_job")
    job = suggestions.SUGGESTIONS.get(("suggest", asked)) if asked is not None else None
    if job is None:
        st.session_state.pop("suggestion_job", None)
        return
    if not job.done():
        line = f" {job.progress}" if job.progress else ""
        waited = time.perf_counter() - job.queued  # the limit counts from the click, a wait for a thread included
        on = f", sur {asked.situation_label}" if asked.changes else ""
        st.info(f"Recherche des meilleurs emplacements ({asked.label}{on}) en cours : {fmt_num(round(waited))} s "
                f"sur {fmt_num(asked.time_limit_s)} s au plus.{line} Les autres onglets restent utilisables.",
                icon=":material/hourglass_top:")
        return
    st.session_state.pop("suggestion_job", None)
    error = job.error()
    if isinstance(error, InputError):
        st.session_state["suggestion_error"] = for_app(error)
    elif error is not None:
        raise error
    else:
        suggestion, notices = job.result()
        st.session_state["suggestion"] = (asked.study_key, asked.threshold, suggestion, notices, asked)
        st.session_state.pop("suggestion_error", None)
    st.rerun(scope="app")  # so that the map and the tab show the suggested sites


def ask_suggestion(question, study, routing) -> None:
    suggestions.start(question, study, routing)
    st.session_state["suggestion_job"] = question
    st.session_state.pop("suggestion_error", None)
    ask_rerun_app()  # the progress line is drawn above the tabs


@st.fragment
def suggestions_tab(study, routing, study_key, threshold, mode) -> None:
    """« Suggestions »: a panel of its own; the model runs in the background (:mod:`access30.app.suggestions`).
    When nobody is beyond the threshold, said first (no place covers anyone more), with the readings that
    show zones blanches."""
    rerun_app_if_asked()
    st.subheader("Où ouvrir les prochains lieux d'accueil ?")
    changes, name = active_changes(), active_name()
    now = cache.result(study_key, changes, threshold, study, routing)  # the situation shown, scenario included
    nothing = readings.nothing_to_suggest(now, threshold, mode)
    if nothing:
        st.info(nothing, icon=":material/check_circle:")
    if changes:
        st.caption(f"Suggestions calculées sur le scénario affiché, « {html.escape(name)} » : ses lieux ajoutés et "
                   "fermés sont pris en compte.")
    c1, c2, c3 = st.columns(3)
    model = selectbox(c1, "Objectif", ["maxcover", "cover", "median"], format_func=lambda m: MODEL_LABELS_FR.get(m, m),
                      key="sugg_model")
    k = int(c2.number_input("Nombre de nouveaux lieux", 1, 20, 3, key="sugg_k", disabled=model == "cover"))
    groups = ["population", *study.demand.equity_columns]
    weight = selectbox(c3, "Public pris en compte", groups, format_func=lambda g: EQUITY_LABELS_FR.get(g, g),
                       key="sugg_weight")
    lists = study.territory is not None or study.departement is not None  # the inventories' lists known
    inventories = candidate_inventories() if lists else []
    sources = (*(inventory.key for inventory in inventories), "cells")
    captions = [inventory.candidates.caption for inventory in inventories]
    st.caption("Emplacements candidats : " + ", ".join([*captions, "des carreaux habités répartis sur le territoire"])
               + ". Les lieux existants sont conservés.")
    hours_known = shared.sites_with_hours(study_key, study)
    capacitated = st.checkbox("Tenir compte de la capacité des lieux (heures d'ouverture hebdomadaires, "
                              "approximation) : chaque lieu reçoit au plus sa capacité ; candidats : les lieux "
                              "listés seulement, sans les carreaux", key="sugg_capacitated",
                              disabled=model == "cover" or not hours_known) and hours_known
    if not hours_known:
        st.caption(no_hours_line(len(study.sites)))
    question = suggestions.Question(study_key, model, k, threshold, weight, sources,
                                    capacitated=bool(capacitated and model != "cover"), changes=changes,
                                    scenario=name if changes else "")
    running = st.session_state.get("suggestion_job") is not None
    st.button("Calculer les suggestions", key="sugg_run", type="primary", on_click=ask_suggestion,
              args=(question, study, routing), disabled=running,
              help=f"Optimisation exacte, {fmt_num(suggestions.TIME_LIMIT_S)} s au plus ; les autres onglets restent "
                   "utilisables pendant le calcul.")
    if "suggestion_error" in st.session_state:
        st.error(st.session_state["suggestion_error"])
    found = stored_suggestion(study_key, threshold)
    if found is None:
        return
    suggestion, notices, asked = found
    if asked.changes != changes:  # computed on another situation than the one shown: say which
        st.warning(f"Suggestions ci-dessous calculées sur {html.escape(asked.situation_label)}, pas sur ce qui est "
                   f"affiché ({html.escape(suggestions.situation_label(changes, name))}) : relancez le calcul pour "
                   "les obtenir sur la situation affichée.", icon=":material/info:")
    table = suggestion.suggested
    gap = ("optimum prouvé par le solveur" if suggestion.optimal else
           f"solution non prouvée optimale : écart à l'optimum au plus {fmt_pct(suggestion.gap, 2)}")
    if suggestion.capacitated is not None and not suggestion.capacitated.get("capacity_sufficient", True):
        gap += " pour ces capacités, qui ne suffisent pas (voir ci-dessous)"
    if table.empty:  # nobody to cover (said above), or no candidate adds anyone: the reason, not an empty table
        reasons = [n.message[:1].lower() + n.message[1:] for n in suggestion.notices if n.code in EMPTY_REASONS]
        st.markdown("**Aucun lieu suggéré**" + (" : " + " ; ".join(reasons) if reasons else "")
                    + f". Population couverte : {fmt_int(suggestion.population_covered_after)} habitants à "
                      f"{fmt_num(threshold)} min ou moins.")
        st.caption(f"Objectif : {asked.label} ; calculé sur {asked.situation_label} ; calcul en "
                   f"{fmt_num(round(suggestion.seconds, 1))} s ({fmt_num(asked.time_limit_s)} s au plus).")
        for notice in list(suggestion.notices) + list(notices):
            if notice.code not in EMPTY_REASONS:
                st.caption(f"- {without_cache_root(notice.message)}")
        return
    st.markdown(f"**{plural(len(table), 'lieu suggéré', 'lieux suggérés')}** — {gap}.")
    for notice in headline_notices(suggestion.notices):  # the situation computed on, first
        st.info(notice.message, icon=":material/info:")
    st.caption(f"Objectif : {asked.label} ; calculé sur {asked.situation_label} ; calcul en "
               f"{fmt_num(round(suggestion.seconds, 1))} s ({fmt_num(asked.time_limit_s)} s au plus).")
    st.markdown(f"Population couverte : {fmt_int(suggestion.population_covered_before)} → "
                f"**{fmt_int(suggestion.population_covered_after)}** habitants à {fmt_num(threshold)} min ou moins.  \n"
                f"Temps moyen d'accès : {fmt_min(suggestion.mean_time_before_min)} → "
                f"**{fmt_min(suggestion.mean_time_after_min)}**.")
    shown = pd.DataFrame({
        "Rang": table["rank"], "Lieu": table["name"],
        "Commune": table.get("commune_nom", table["commune"]).astype(str),
        "Population nouvellement couverte": table["population_newly_covered"].round(0),
        "Habitants dont ce serait le lieu le plus proche": table["catchment_population"].round(0)
        if "catchment_population" in table.columns else np.nan,
    })
    st.dataframe(french(shown, {"Population nouvellement couverte": "int",
                                "Habitants dont ce serait le lieu le plus proche": "int"}),
                 hide_index=True, width="stretch", key="sugg_table")
    if suggestion.curve is not None and len(suggestion.curve):
        st.caption("Population couverte selon le nombre de nouveaux lieux :")
        curve = suggestion.curve
        frame = pd.DataFrame({"Nouveaux lieux": curve["k"].astype(int),
                              "Population couverte": curve["population_covered"].round(0),
                              "Part couverte": curve["share_covered"],
                              "Optimum prouvé": np.where(curve["optimal"], "oui", "non")})
        st.dataframe(french(frame, {"Population couverte": "int", "Part couverte": "pct"}), hide_index=True,
                     width="stretch", key="sugg_curve")
    if suggestion.capacitated is not None:
        st.markdown("  \n".join(capacitated_lines(suggestion)))
    for notice in list(suggestion.notices) + list(notices):
        # capacity_insufficient is the first of the capacitated lines above; headline notices are at the top
        if notice.code != "capacity_insufficient" and not notice.headline:
            st.caption(f"- {without_cache_root(notice.message)}")
    st.caption("Les lieux suggérés sont affichés sur la carte (carrés numérotés). Pour les essayer dans un scénario, "
               "cliquez à leur emplacement sur la carte puis « Ouvrir un lieu au point cliqué ».")


def prepared_download(kind: str, context: tuple, prepare_label: str, spinner: str, job, download_label: str,
                      file_name: str, mime: str) -> None:
    """A « Préparer » button that hands over its file (written in the background), then its download button.

    The file is kept in the session with the ``context`` it was made for (territory, mode, scenario,
    threshold, capacity, suggestion): once the user changes any of them, the stale file is no longer offered.
    """
    if st.button(prepare_label, key=f"make_{kind}"):
        with st.spinner(spinner):
            st.session_state[f"file_{kind}"] = (context, job.result())
    stored = st.session_state.get(f"file_{kind}")
    if stored and stored[0] == context:
        st.download_button(download_label, stored[1], file_name=file_name, mime=mime, key=f"dl_{kind}")


def app_settings(source: Source, mode: str, threshold: float, result, question, lens: Lens | None = None) -> dict:
    """The page's controls as the planner set them, in French, for the run record of the exports."""
    settings = {"données": "mes fichiers" if source.request is not None else "territoire intégré",
                "mode": MODES[mode].label, "seuil (min)": threshold}
    if source.request is None:
        settings["territoire"] = source.territory
    else:
        settings["fichiers"] = {role: path.name for role, path in (
            ("réseau routier", source.request.network), ("population", source.request.population),
            ("lieux d'accueil", source.request.sites), ("contours des communes", source.request.communes))
            if path is not None}
    settings["capacité des lieux"] = CAPACITY_CHOICES["hours" if result.capacity is not None else ""]
    if lens is not None and not lens.plain:
        settings["lecture des lieux"] = LENS_LABELS_FR[lens.kind] + (f" ({lens.at})" if lens.at else "")
    if result.scenario is not None:
        settings["scénario"] = result.scenario.name
        settings["modifications"] = list(result.scenario.changes)
    if question is not None:
        settings["suggestion"] = question.label
    return settings


@st.fragment
def export_tab(source: Source, mode: str, study, study_key: str, result, threshold: float, lens: Lens) -> None:
    """« Export »: a panel of its own; its files start being written as soon as it is open."""
    st.subheader("Télécharger les résultats")
    name = result.scenario.name if result.scenario is not None else BASELINE
    st.caption(f"Résultats du scénario affiché (« {html.escape(name)} »), seuil {fmt_num(threshold)} min.")
    # The territory, the threshold and the date in every name: a second territory's files never replace the first's.
    stem = export_name(source.territory if source.request is None else study.label or "territoire", threshold,
                       dt.date.today(), "")
    if name != BASELINE:
        stem += "_scenario_" + "".join(c if c.isalnum() else "_" for c in name)
    if not lens.plain:
        stem += "_" + lens.kind
    found = stored_suggestion(study_key, threshold)
    if found and found[2].changes != active_changes():  # files hold a suggestion of the situation they show only
        found = None
    suggestion = found[0] if found else None
    context = (study_key, name, result.scenario.changes if result.scenario is not None else (), threshold,
               result.capacity is not None, found[2] if found else None)
    question = found[2] if found else None
    jobs = exports.start_all(context, result, study, suggestion,
                             options=exports.run_options(source, mode, threshold, result.capacity is not None, lens),
                             settings=app_settings(source, mode, threshold, result, question, lens),
                             question=question, shapes=lambda: shared.commune_shapes(source.key(mode), result))

    c1, c2, c3 = st.columns(3)
    with c1:
        prepared_download("gpkg", context, "Préparer le GeoPackage (carreaux, communes, lieux)",
                          "Écriture du GeoPackage…", jobs["gpkg"], "Télécharger le GeoPackage", f"{stem}.gpkg",
                          "application/geopackage+sqlite3")
    with c2:  # the same file as communes.csv of « access30 report »; written when clicked
        st.download_button("Communes (CSV)", lambda: csv_bytes(communes_table(result)),
                           file_name=f"{stem}_communes.csv", mime="text/csv", key="dl_communes")
    d1, d2, d3 = st.columns(3)
    with d1:
        prepared_download("xlsx", context, "Préparer le classeur Excel", "Écriture du classeur…", jobs["xlsx"],
                          "Télécharger le classeur (.xlsx)", f"{stem}.xlsx",
                          "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    with d2:
        prepared_download("png", context, "Préparer la carte (PNG)", "Dessin de la carte…", jobs["png"],
                          "Télécharger la carte (.png)", f"{stem}.png", "image/png")
    with d3:
        prepared_download("pdf", context, "Préparer le rapport (PDF)", "Rédaction du rapport…", jobs["pdf"],
                          "Télécharger le rapport (.pdf)", f"{stem}.pdf", "application/pdf")
    with c3:
        st.download_button("Carreaux / unités (CSV)",
                           lambda: pd.DataFrame(result.units.drop(columns="geometry")).to_csv(
                               index=False).encode("utf-8-sig"),
                           file_name=f"{stem}_unites.csv", mime="text/csv", key="dl_units")


def method_tab(study, result) -> None:
    s = result.summary
    st.subheader("Méthode")
    st.markdown(
        f"- **Temps d'accès** : trajet le plus rapide sur le réseau routier OpenStreetMap ({s.network_source}, "
        f"{fmt_int(s['network_nodes'])} nœuds), plus un trajet d'approche estimé entre le carreau et la route "
        f"(distance à vol d'oiseau × {fmt_num(s.access_detour)} à {fmt_num(s.access_speed_kmh)} km/h).\n"
        f"- **Couvert** : temps inférieur ou égal au seuil. Au-delà de {fmt_metres(s.max_access_m)} de toute route, un "
        "carreau est « sans accès routier » et n'est jamais compté comme couvert.\n"
        f"- **Population** : {s.population_label}.\n"
        + ("- **Réseau partiel (routes principales)** : seules les routes principales sont cartographiées dans "
           "l'extrait ; les temps mêlent trajets routés et estimations.\n" if s.network_partial else ""))
    st.subheader("Sources")
    for line in study.sources:
        st.markdown(f"- {line}")


#: The tabs; only the open one is drawn (``on_change="rerun"``), the map tab first.
TABS = ["Carte et scénarios", "Indicateurs", "Comparer les scénarios", "Suggestions", "Hors les murs", "Export",
        "Lieux d'accueil", "Vue nationale", "Méthode et sources"]


@st.cache_resource(show_spinner=False, max_entries=places.LISTINGS)
def site_listing(departement: str, keys: tuple[str, ...] | None):
    """A département's places as ``access30 sites`` lists them (shared by the sessions, bounded)."""
    return places.listing(departement, keys)


def places_tab(study) -> None:
    """« Lieux d'accueil »: a département's built-in places merged per source and type, for review."""
    st.subheader("Revue des lieux d'accueil d'un département")
    st.caption("Ce que donnent les listes intégrées (inventaires livrés, France Services, mairies, annuaires en cache) "
               "pour un département, fusionnées : par source et par type, les lieux sans coordonnées, les communes "
               "des secteurs et les millésimes — comme « access30 sites ».")
    c1, c2 = st.columns([1, 3])
    code = c1.text_input("Code du département", value=study.departement or "", key="places_code",
                         placeholder="ex. 29").strip().upper()
    chosen = c2.multiselect("Listes", list(INVENTORIES), default=list(INVENTORIES), key="places_lists",
                            format_func=lambda k: INVENTORIES[k].plural)
    if not code:
        st.info("Saisissez un code de département (01 à 95, 2A, 2B, 971 à 976).")
        return
    if not is_departement_code(code):
        st.error(f"« {html.escape(code)} » n'est pas un code de département (01 à 95, 2A, 2B, 971 à 976).")
        return
    if not chosen:
        st.info("Choisissez au moins une liste.")
        return
    keys = None if len(chosen) == len(INVENTORIES) else tuple(chosen)
    try:
        with st.spinner(f"Lecture des listes du département {code}…"):
            found = site_listing(code, keys)
    except InputError as exc:
        st.error(for_app(exc))
        return
    for line in describe_listing(found)[:1]:
        st.markdown(f"**{html.escape(line)}**")
    if len(found.sites):
        west, south, east, north = found.sites.to_crs("EPSG:4326").total_bounds
        mapview.draw((float(west), float(south), float(east), float(north)), ("places", code, keys),
                     lambda: webmap.listing_layers(found.sites), key="places_map")
    st.markdown("**Par source et par type**")
    st.dataframe(places.report_table(found), hide_index=True, width="stretch", key="places_report")
    st.markdown(f"**Lieux retenus avec coordonnées ({fmt_int(len(found.sites))})**")
    st.dataframe(places.places_table(found.sites), hide_index=True, width="stretch", height=320, key="places_sites")
    if len(found.without_coordinates):
        st.warning(f"{plural(len(found.without_coordinates), 'lieu', 'lieux')} sans coordonnées : ils ne comptent pas "
                   "dans les calculs tant qu'ils ne sont pas géocodés (Base Adresse Nationale).")
        st.dataframe(found.without_coordinates, hide_index=True, width="stretch", key="places_missing")
    st.markdown("**Millésimes des sources**")
    st.dataframe(found.vintages.rename(columns={"source": "Source", "label": "Producteur et licence",
                                                "vintage": "Millésime", "records": "Lieux"}),
                 hide_index=True, width="stretch", key="places_vintages")
    for notice in found.notices:
        if notice.code != "listing_report":
            st.caption(without_cache_root(notice.message))
    cols = st.columns(len(places.DOWNLOADS))
    for col, (suffix, (label, mime)) in zip(cols, places.DOWNLOADS.items()):
        col.download_button(label, lambda s=suffix: places.listing_file(found, s),
                            file_name=f"lieux_{code}{suffix}", mime=mime, key=f"places_dl{suffix}")


@st.cache_resource(show_spinner=False, max_entries=4)
def national_view(path: str, stamp: float):
    """A batch's results and their figure (PNG bytes), read once per file state."""
    view = open_national(path)
    figure = national_figure(view.layer, view.rows, view.threshold_min or 0.0, view.mode_words)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return view, buffer.getvalue()


def national_tab() -> None:
    """« Vue nationale »: the results of « access30 batch », départements coloured by covered share."""
    st.subheader("Vue nationale")
    st.caption("Ouvrez le dossier de sortie d'« access30 batch » (sur cet ordinateur) ou chargez son national.gpkg : "
               "départements colorés selon la part couverte, outre-mer en médaillons, et le tableau.")
    folder = st.text_input("Dossier de sortie du batch", value="", key="national_dir",
                           placeholder="ex. /donnees/access30/national").strip()
    upload = st.file_uploader("… ou son national.gpkg", type=["gpkg"], key="up_national")
    if upload is not None:
        path = uploads.saved(upload, uploads.digest(upload))
    elif folder:
        path = Path(folder).expanduser()
    else:
        st.info("Donnez le dossier ou le fichier du batch.")
        return
    try:
        target = path / "departements" if path.is_dir() and (path / "departements").is_dir() else path
        view, png = national_view(str(path), target.stat().st_mtime if target.exists() else 0.0)
    except InputError as exc:
        st.error(for_app(exc))
        return
    figures = view.figures
    what = (f"à {fmt_num(view.threshold_min)} min ou moins {view.mode_words}" if view.threshold_min is not None
            else "au seuil du batch (non indiqué dans ce fichier)")
    cols = st.columns(3)
    cols[0].metric("Départements calculés",
                   f"{fmt_int(figures['departements_ok'])} sur {fmt_int(figures['departements'])}")
    cols[1].metric("Population couverte", fmt_int(figures["population_covered"]))
    cols[2].metric("Part couverte", fmt_pct(figures["share_covered"]))
    st.caption(f"Population {what} d'un lieu de premier accueil de son département, sur les départements calculés "
               f"({fmt_int(figures['population_total'])} habitants) ; source : {html.escape(view.source)}.")
    st.image(png, width="stretch")
    table = national_table(view.rows)
    kinds = {column: {"pop": "int", "int": "int", "pct": "pct", "min": "min"}.get(kind, "")
             for column, kind in table.kinds.items()}
    st.dataframe(french(table.frame, {c: k for c, k in kinds.items() if k}), hide_index=True, width="stretch",
                 key="national_table")
    st.download_button("Carte nationale (.png)", png, file_name="national.png", mime="image/png", key="national_png")


def main() -> None:
    st.markdown(FRENCH_UPLOADER_CSS + upload_limits_css(), unsafe_allow_html=True)
    source, mode, threshold, study, routing, lens = sidebar()
    study_key = source.key(mode)
    timetable = MODES[mode].timetable
    reset_scenarios_if_new_territory(source.scope)
    st.title("Accès au premier accueil social inconditionnel")
    names = [BASELINE, *scenarios()]
    if st.session_state.get("active") not in names:
        st.session_state["active"] = BASELINE
    top = st.columns([3, 2])
    top[0].markdown(f"**{html.escape(study.label)}** — seuil {fmt_num(threshold)} min {mode_words(mode)}"
                    + (" — réseau partiel (routes principales)" if study.network.partial else ""))
    selectbox(top[1], "Scénario affiché", names, key="active", label_visibility="collapsed", placeholder="Choisir…")
    base = shared.baseline(study_key, threshold, study, routing)
    changes = () if timetable else active_changes()
    state = None
    result = base
    if timetable and active_changes():
        st.warning(f"Le scénario « {html.escape(active_name())} » n'est pas recalculé en transports en commun (les "
                   "horaires ne desservent pas un lieu hypothétique) : la situation actuelle est affichée ; le "
                   "scénario est conservé pour les modes routiers.")
    try:  # a scenario made by car may not replay on foot (a point too far from any footpath)
        if not timetable:
            with st.spinner("Mise à jour du scénario…"):
                state = cache.state(study_key, changes, study, routing)
                result = cache.result(study_key, changes, threshold, study, routing, active_name())
    except InputError as exc:
        st.warning(f"Le scénario « {html.escape(active_name())} » ne peut pas être recalculé dans ce mode : "
                   f"{for_app(exc)}. La situation actuelle est affichée ; le scénario est conservé.")
        changes = ()
        state = cache.state(study_key, changes, study, routing)
        result = base
    view_key = study_key
    if not lens.plain:
        try:
            with st.spinner("Lecture des lieux : " + LENS_LABELS_FR[lens.kind].lower() + "…"):
                base = lenses.result(study_key, (), lens, threshold, study, routing, base)
                result = lenses.result(study_key, changes, lens, threshold, study, routing, result)
            view_key = f"{study_key}|{lens.key()}"
        except InputError as exc:
            st.error(f"Lecture « {LENS_LABELS_FR[lens.kind]} » impossible — {for_app(exc)} La lecture « "
                     f"{LENS_LABELS_FR['nearest']} » est affichée.")
            lens = Lens()
    if result.scenario is not None:
        st.error(f"**Scénario « {html.escape(result.scenario.name)} » — hypothèse de travail, pas la situation "
                 f"actuelle** : {' ; '.join(html.escape(line) for line in result.scenario.changes)}.",
                 icon=":material/science:")
    if lens.plain and not timetable:
        result = with_load(result, study, routing, study_key, threshold)
    lens_banner(result, lens, threshold)
    # What changes the meaning of the figures comes before them (the details stay in the notices below).
    for notice in headline_notices(result.notices):
        st.warning(f"**À lire avant les chiffres** — {html.escape(without_cache_root(notice.short))}",
                   icon=":material/warning:")
    headline(result, base, study, threshold, mode, active_name())
    everyone = readings.everyone_covered(result, threshold, mode, lens.kind)
    if everyone:  # the real finding on this reading: said plainly, with the readings that show zones blanches
        st.success(everyone, icon=":material/check_circle:")
    notices_box(result)
    if st.session_state.get("suggestion_job") is not None:
        suggestion_progress()
    tabs = st.tabs(TABS, key="tab", on_change="rerun")
    if tabs[0].open:
        with tabs[0]:
            map_tab(study, routing, study_key, view_key, base, result, state, threshold, lens)
    if tabs[1].open:
        with tabs[1]:
            indicators_tab(result, threshold, mode, shared.sites_with_hours(study_key, study))
            if result.sectors is not None:
                sectors_section(result, threshold)
            if result.summary.transit is not None:
                transit_section(result)
            if result.wait is not None:
                wait_section(result)
    if tabs[2].open:
        with tabs[2]:
            if timetable:
                st.info(TIMETABLE_NO_SCENARIO)
            else:
                scenarios_tab(study, routing, study_key, base, threshold)
    if tabs[3].open:
        with tabs[3]:
            if timetable:
                st.info(TIMETABLE_NO_SCENARIO)
            else:
                suggestions_tab(study, routing, study_key, threshold, mode)
    if tabs[4].open:
        with tabs[4]:
            if timetable:
                st.info(TIMETABLE_NO_SCENARIO)
            else:
                outreach_tab(source, mode, study, routing, study_key, threshold)
    if tabs[5].open:
        with tabs[5]:
            export_tab(source, mode, study, view_key, result, threshold, lens)
    if tabs[6].open:
        with tabs[6]:
            places_tab(study)
    if tabs[7].open:
        with tabs[7]:
            national_tab()
    if tabs[8].open:
        with tabs[8]:
            method_tab(study, result)
    shared.warm(source, mode, threshold)  # the neighbouring thresholds and the other mode, in the background


main()
