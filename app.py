"""access30 — l'application cartographique (Streamlit).

Lancer : ``streamlit run app.py``. The page is thin: widgets wired to the core (``access.*``).
Heavy steps are cached by input (territory key and travel mode, or the hash of uploaded files;
scenario changes; threshold), so moving the threshold or adding a site does not reload or reroute.
"""

from __future__ import annotations

import hashlib
import html
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from access30.base.departements import is_departement_code
from access30.base.errors import InputError, NetworkUnavailableError
from access30.base.fmt import fmt_int, fmt_lonlat, fmt_metres, fmt_min, fmt_num, fmt_pct, fmt_points, plural
from access30.base.labels import EQUITY_LABELS_FR, for_app, sites_counted
from access30.base.names import commune_name
from access30.coverage import scenario as sc
from access30.coverage.engine import route
from access30.coverage.rules import population_by_class
from access30.inputs.assemble import load_study
from access30.inputs.inventories import INVENTORIES, candidate_inventories, described
from access30.inputs.sites import SITE_TYPES
from access30.inputs.territory import DEFAULT_TERRITORY, TERRITORIES
from access30.network.modes import MODES, mode_words
from access30.outputs import webmap
from access30.suggest.candidates import commune_points

st.set_page_config(page_title="access30 — accès aux lieux d'accueil social", page_icon="🧭", layout="wide")

BASELINE = "Situation actuelle"
OTHER_DEPARTEMENT = "autre"
MAX_UPLOAD_MB = {"network": 300, "population": 300, "sites": 20, "communes": 100}
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
  content: "300 Mo au plus par fichier"; display: block; font-size: 0.8em; opacity: 0.7; }
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
# Cached core calls (hashable keys; underscore arguments are not hashed)


@st.cache_resource(show_spinner=False, max_entries=6)
def builtin_study(key: str, mode: str):
    if key not in TERRITORIES or TERRITORIES[key].network is None:
        import osmnx as ox

        ox.settings.overpass_rate_limit = False  # offline: fail at once instead of waiting for a slot
    return load_study(key, mode=mode)


def saved_uploads(files: dict) -> dict:
    """The uploaded files written to a private temporary folder, under their own names (role → path)."""
    folder = Path(tempfile.mkdtemp(prefix="access30_"))
    paths = {}
    for role, (name, data) in files.items():
        if data is None:
            paths[role] = None
            continue
        path = folder / Path(name).name
        path.write_bytes(data)
        paths[role] = path
    return paths


@st.cache_resource(show_spinner=False, max_entries=4)
def user_study(digest: str, mode: str, _files: dict, options: tuple):
    """The study of the user's files: the same input path as the command line (StudyRequest)."""
    from access30.inputs.assemble import StudyRequest, assemble_study

    paths = saved_uploads(_files)
    settings = dict(options)
    builtins = tuple(INVENTORIES) if settings["national_lists"] else None
    return assemble_study(StudyRequest(
        network=paths["network"], population=paths["population"], sites=paths["sites"], communes=paths["communes"],
        population_column=settings["population_column"] or None, population_crs=settings["population_crs"],
        sites_crs=settings["sites_crs"], departement=settings["departement"] or None, sites_builtin=builtins,
        partial_network=settings["partial"], max_access_m=settings["max_access_m"], mode=mode,
        label=settings["label"] or "Mon territoire"))


@st.cache_data(show_spinner=False, max_entries=8)
def upload_columns(name: str, data: bytes) -> list[str]:
    """Column names of an uploaded table or layer (for the population column picker); [] if unreadable."""
    from access30.base.errors import Access30Error
    from access30.base.io import is_vector, read_table, read_vector

    path = saved_uploads({"file": (name, data)})["file"]
    try:
        if is_vector(path):
            return [c for c in read_vector(path).columns if c != "geometry"]
        return list(read_table(path).columns)
    except Access30Error:
        return []


@st.cache_resource(show_spinner=False, max_entries=6)
def routed(study_key: str, _study):
    return route(_study)


@st.cache_resource(show_spinner=False, max_entries=64)
def scenario_state(study_key: str, changes: tuple, _study, _routing):
    """Scenario after ``changes``, built from the cached state of ``changes[:-1]`` (one step each)."""
    if not changes:
        return sc.start(_study, _routing)
    previous = scenario_state(study_key, changes[:-1], _study, _routing)
    return sc.apply_change(_study, previous, changes[-1])


@st.cache_resource(show_spinner=False, max_entries=64)
def scenario_result(study_key: str, changes: tuple, threshold: float, _study, _routing, name: str = BASELINE):
    """Indicators of a scenario; a named scenario's result says it is one (title, changes, before/after)."""
    state = scenario_state(study_key, changes, _study, _routing)
    if name == BASELINE or not changes:
        return sc.evaluate_scenario(_study, _routing, state, threshold)
    base = scenario_result(study_key, (), threshold, _study, _routing)
    return sc.evaluate_scenario(_study, _routing, state, threshold, name=name, baseline=base)


@st.cache_resource(show_spinner=False, max_entries=8)
def capacity_report(study_key: str, threshold: float, _study, _routing):
    """Load per site and 2SFCA with the weekly opening hours as capacity (a proxy)."""
    from access30.coverage.capacity import capacity_indicators, site_capacity
    from access30.coverage.options import HOURS

    return capacity_indicators(_study, _routing, site_capacity(_study.sites, HOURS), threshold)


CAPACITY_CHOICES = {"": "aucune", "hours": "heures d'ouverture hebdomadaires (approximation)"}


def with_load(result, study, routing, study_key: str, threshold: float):
    """The result with its load per site when a capacity is chosen (current situation only)."""
    if not st.session_state.get("capacity") or result.scenario is not None:
        return result
    from access30.coverage.capacity import with_capacity

    try:
        return with_capacity(result, capacity_report(study_key, threshold, study, routing))
    except InputError as exc:
        st.warning(for_app(exc))
        return result


@st.cache_resource(show_spinner=False, max_entries=32)
def map_areas(study_key: str, changes: tuple, threshold: float, _result):
    return webmap.class_areas(_result)


@st.cache_resource(show_spinner=False, max_entries=4)
def candidate_points(study_key: str, _study) -> pd.DataFrame:
    return commune_points(_study.communes)


@st.cache_resource(show_spinner=False, max_entries=32)
def candidate_ranking(study_key: str, changes: tuple, threshold: float, _study, _routing) -> pd.DataFrame:
    """Candidate places, best gain first, with a French label for the picker."""
    state = scenario_state(study_key, changes, _study, _routing)
    table = sc.rank_candidates(_study, _routing, state, candidate_points(study_key, _study), threshold, tie_break="nom")
    table["label"] = [f"{n} — +{fmt_int(g)} hab. couverts" if g >= 0.5 else f"{n} — aucun gain"
                      for n, g in zip(table["name"], table["newly_covered"])]
    return table.set_index("code", drop=False)


# --------------------------------------------------------------------------------------------
# Sidebar: territory, threshold, mode


#: How to get public-transport coverage while the app ships no GTFS feed.
TRANSIT_HINT = ("Transports en commun : aucun flux d'horaires (GTFS) n'est fourni avec l'application. Ce calcul "
                "se fait avec l'outil en ligne de commande d'access30 (voir sa documentation), à partir du flux du "
                "réseau publié par l'autorité organisatrice, par exemple sur transport.data.gouv.fr.")


def sidebar():
    """Read the sidebar widgets; return the study (or stop with a French message), its key and the threshold."""
    with st.sidebar:
        st.header("Territoire")
        source = st.radio("Données", ["Territoire intégré", "Mes fichiers"], key="source", horizontal=True)
        # A timetable mode needs a GTFS feed; none ships with the app (the Car Jaune feed's licence is not
        # stated in the file), so the app offers the road modes and says how to compute public transport.
        mode = st.radio("Mode de déplacement", [k for k, m in MODES.items() if not m.timetable], key="mode",
                        horizontal=True, format_func=lambda key: MODES[key].label)
        st.caption(TRANSIT_HINT)
        threshold = float(st.slider("Seuil de temps d'accès (minutes)", 5, 90, 30, 5, key="threshold",
                                    help="Un habitant est « couvert » s'il atteint un lieu d'accueil en ce temps "
                                         "ou moins (30 min : objectif du premier accueil social inconditionnel)."))
        if source == "Territoire intégré":
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
            study_key = f"builtin|{key}|{mode}"
            loader = ("builtin", key, mode)
            st.session_state["scope"] = f"builtin|{key}"  # scenarios belong to the territory, not to the mode
        else:
            study_key, loader = user_files_panel(mode)
        st.divider()
        st.caption("access30 — logiciel libre. Fond de carte et réseau : © les contributeurs d'OpenStreetMap.")
    if loader is None:
        st.info("Chargez au moins un réseau routier (.osm.pbf) et un fichier de population dans la barre latérale "
                "pour lancer l'étude de votre territoire.")
        if st.session_state.get("source") == "Mes fichiers":
            st.markdown(FILES_GUIDE)
        st.stop()
    failed = st.session_state.setdefault("failed_loads", {})
    if study_key in failed:
        st.error(failed[study_key])
        if st.button("Réessayer", key="retry_load"):
            failed.pop(study_key, None)
            st.rerun()
        st.stop()
    try:
        with st.spinner("Chargement du territoire (réseau routier, population, lieux d'accueil)…"):
            if loader[0] == "builtin":
                study = builtin_study(loader[1], loader[2])
            else:
                _, payload, options, mode = loader
                study = user_study(study_key, mode, payload, options)
        with st.spinner("Calcul des temps d'accès sur le réseau…"):
            routing = routed(study_key, study)
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
    return study, routing, study_key, threshold, mode


def user_files_panel(mode: str):
    """« Mes fichiers »: uploads and the French controls for what the command line takes as options.

    Returns the study key and the loader tuple, or (None, None) until a network and a population are given.
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
    columns = upload_columns(population.name, population.getvalue()) if population is not None else []
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
        return None, None
    payload, digest = {}, hashlib.sha256()
    for role, upload in files.items():
        if upload is None:
            payload[role] = (None, None)
            continue
        size_mb = upload.size / 2**20
        if size_mb > MAX_UPLOAD_MB[role]:
            st.error(f"Fichier « {html.escape(upload.name)} » trop volumineux ({fmt_int(size_mb)} Mo) : "
                     f"{MAX_UPLOAD_MB[role]} Mo au plus pour ce type de fichier. Découpez l'extrait au territoire "
                     "étudié.")
            st.stop()
        data = upload.getvalue()
        digest.update(role.encode() + upload.name.encode() + hashlib.sha256(data).digest())
        payload[role] = (upload.name, data)
    options = (("population_column", "" if column == AUTO_COLUMN else column), ("population_crs", population_crs),
               ("sites_crs", sites_crs), ("departement", departement), ("national_lists", national),
               ("partial", partial), ("max_access_m", max_access), ("label", label))
    digest.update(repr(options).encode())
    st.session_state["scope"] = "user|" + digest.hexdigest()[:20]  # scenarios belong to the files, not to the mode
    digest.update(mode.encode())
    return "user|" + digest.hexdigest()[:20], ("user", payload, options, mode)


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
    try:
        scenario_state(study_key, changes, study, routing)  # validates the change (InputError)
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
    st.caption(
        f"**Ce que mesurent ces chiffres** — population comptée : {s.population_label} "
        f"({fmt_int(s.population_total)} au total). Seuil : {fmt_num(threshold)} min {mode_words(mode)} jusqu'au lieu "
        f"d'accueil le plus proche ({sites_counted(s, result.scenario.added if result.scenario else 0)}"
        + (f", scénario « {html.escape(name)} »" if delta else "") + f"). Réseau : {network} "
        f"« {s.network_source} ». Temps moyen, médian et 90e centile pondérés par la population ; part estimée "
        f"des temps (trajets d'approche hors réseau) : {fmt_pct(s.estimated_time_share, 0)}.")


def notices_box(result) -> None:
    with st.expander(f"Avertissements et hypothèses ({len(result.notices)}) — à lire avant d'utiliser les chiffres"):
        for notice in result.notices:
            st.markdown(f"- {notice.message}")


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


def indicators_tab(result, threshold: float, mode: str) -> None:
    s = result.summary
    left, right = st.columns([1, 1])
    with left:
        st.subheader("Population par classe de temps d'accès")
        table = class_table(result)
        import altair as alt

        chart = alt.Chart(table).mark_bar().encode(
            x=alt.X("Classe de temps:N", sort=list(table["Classe de temps"]), title=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("Population:Q", title="Habitants"),
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
    load_section(result)


def load_section(result) -> None:
    """« Charge des lieux d'accueil »: the capacity choice, then the load table and the 2SFCA summary."""
    from access30.base.fmt import fmt_dec
    from access30.outputs.tables import load_table

    st.subheader("Charge des lieux d'accueil")
    selectbox(st, "Capacité des lieux", list(CAPACITY_CHOICES), format_func=CAPACITY_CHOICES.get, key="capacity")
    report = result.capacity
    if report is None:
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
    """``st.metric`` delta arguments: a change that rounds to zero is grey and unsigned (never « ↑ 0,0 min » in
    red); otherwise green when it improves things (``inverse`` when a rise is worse)."""
    if not shown:
        return {"delta": None}
    if not any(c in "123456789" for c in text):
        return {"delta": text.lstrip("+-−"), "delta_color": "off"}
    return {"delta": text, "delta_color": "inverse" if inverse else "normal"}


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


def scenario_panel(study, routing, study_key: str, base, result, state, threshold: float, clicked) -> None:
    """Right of the map: add a site (click or candidate), close a site, see what changes."""
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
        cands = candidate_ranking(study_key, active_changes(), threshold, study, routing)
        if len(cands):
            # Options are commune codes, labelled with the gains of the current threshold and scenario: a
            # change of threshold re-ranks the list and the label always matches the list.
            pick = selectbox(st, "Mairie candidate (plus grand gain d'abord)", list(cands.index),
                                format_func=lambda code: cands.loc[code, "label"], key="cand", placeholder="Choisir…")
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
    name = active_name()
    if name != BASELINE and scenarios().get(name):
        scenarios()[name] = tuple(scenarios()[name])[:-1]


def map_tab(study, routing, study_key, base, result, state, threshold) -> None:
    from streamlit_folium import st_folium

    left, right = st.columns([3, 1.35])
    with left:
        with st.spinner("Préparation de la carte…"):
            areas = map_areas(study_key, active_changes(), threshold, result)
            closed = state.sites[state.closed] if state.closed.any() else None
            fmap = webmap.build_map(result, study.communes, areas, closed_sites=closed,
                                    suggestions=st.session_state.get("suggested_map"))
        out = st_folium(fmap, height=640, use_container_width=True, returned_objects=["last_clicked"], key="map")
        st.caption("Couleur : temps d'accès au lieu le plus proche (carreaux regroupés par commune et classe). "
                   f"Contour rouge : population au-delà de {fmt_num(threshold)} min. "
                   "Cliquez sur un lieu pour ses horaires et "
                   "sa population desservie ; le sélecteur de couches est en haut à droite.")
    clicked = (out or {}).get("last_clicked") if isinstance(out, dict) else None
    with right:
        scenario_panel(study, routing, study_key, base, result, state, threshold, clicked)


def create_scenario() -> None:
    name = st.session_state.get("new_scenario_name", "").strip()
    if not name or name == BASELINE or name in scenarios():
        st.session_state["flash_scenarios"] = "Donnez un nom nouveau et non vide au scénario."
        return
    scenarios()[name] = ()
    st.session_state["active"] = name


def delete_scenario(target: str) -> None:
    scenarios().pop(target, None)
    if st.session_state.get("active") == target:
        st.session_state["active"] = BASELINE


def scenarios_tab(study, routing, study_key, base, threshold) -> None:
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
            s = scenario_result(study_key, tuple(changes), threshold, study, routing).summary
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
        res = scenario_result(study_key, changes, threshold, study, routing)
        state = scenario_state(study_key, changes, study, routing)
        s = res.summary
        with col:
            st.metric(f"{name} — population couverte", fmt_int(s.population_covered), fmt_pct(s.share_covered),
                      delta_color="off")
            st.metric(f"{name} — temps moyen", fmt_min(s.mean_time_min))
            for line in sc.change_lines(state) or ["aucune modification"]:
                st.markdown(f"- {html.escape(line)}")
    res_a = scenario_result(study_key, tuple(scenarios().get(a, ())), threshold, study, routing)
    res_b = scenario_result(study_key, tuple(scenarios().get(b, ())), threshold, study, routing)
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


@st.cache_resource(show_spinner=False, max_entries=8)
def suggestion_run(study_key: str, model: str, k: int, threshold: float, weight: str,
                   sources: tuple, time_limit_s: float, _study, _routing, capacitated: bool = False):
    from access30.suggest.candidates import build_candidates
    from access30.suggest.suggestion import suggest_sites

    if capacitated:  # the capacitated model assigns every unit: listed places only, not a thousand cells
        sources = tuple(source for source in sources if source != "cells") or sources
    candidates, notices = build_candidates(_study, sources=list(sources))
    if capacitated:
        from access30.coverage.capacity import site_capacity
        from access30.coverage.options import HOURS
        from access30.suggest.capacitated import suggest_capacitated

        return suggest_capacitated(_study, _routing, model, k, site_capacity(_study.sites, HOURS), threshold,
                                   candidates=candidates, time_limit_s=time_limit_s), notices
    return suggest_sites(_study, _routing, model, k, threshold, candidates=candidates, weight=weight,
                         time_limit_s=time_limit_s), notices


def suggestions_tab(study, routing, study_key, base, threshold) -> None:
    st.subheader("Où ouvrir les prochains lieux d'accueil ?")
    from access30.base.labels import MODEL_LABELS_FR

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
    capacitated = st.checkbox("Tenir compte de la capacité des lieux (heures d'ouverture hebdomadaires, "
                              "approximation) : chaque lieu reçoit au plus sa capacité ; candidats : les lieux "
                              "listés seulement, sans les carreaux", key="sugg_capacitated",
                              disabled=model == "cover")
    if st.button("Calculer les suggestions", key="sugg_run", type="primary"):
        try:
            with st.spinner("Recherche des meilleurs emplacements (optimisation exacte, 60 s au plus)…"):
                suggestion, notices = suggestion_run(study_key, model, k, threshold, weight, sources, 60.0, study,
                                                     routing, capacitated and model != "cover")
            st.session_state["suggestion"] = (study_key, threshold, suggestion, notices)
            st.session_state["suggested_map"] = suggestion.suggested
            st.rerun()  # so that the map, drawn above, shows them
        except InputError as exc:
            st.error(for_app(exc))
    stored = st.session_state.get("suggestion")
    if not stored or stored[0] != study_key or stored[1] != threshold:
        st.session_state.pop("suggested_map", None)
        return
    _, _, suggestion, notices = stored
    table = suggestion.suggested
    st.session_state["suggested_map"] = table
    gap = ("optimum prouvé par le solveur" if suggestion.optimal else
           f"solution non prouvée optimale : écart à l'optimum au plus {fmt_pct(suggestion.gap, 2)}")
    if suggestion.capacitated is not None and not suggestion.capacitated.get("capacity_sufficient", True):
        gap += " pour ces capacités, qui ne suffisent pas (voir ci-dessous)"
    st.markdown(f"**{plural(len(table), 'lieu suggéré', 'lieux suggérés')}** — {gap}.")
    st.markdown(f"Population couverte : {fmt_int(suggestion.population_covered_before)} → "
                f"**{fmt_int(suggestion.population_covered_after)}** habitants à {fmt_num(threshold)} min ou moins.")
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
        from access30.suggest.capacitated import capacitated_lines

        st.markdown("  \n".join(capacitated_lines(suggestion)))
    for notice in list(suggestion.notices) + list(notices):
        if notice.code != "capacity_insufficient":  # the first of the capacitated lines above
            st.caption(f"- {notice.message}")
    st.caption("Les lieux suggérés sont affichés sur la carte (carrés numérotés). Pour les essayer dans un scénario, "
               "cliquez à leur emplacement sur la carte puis « Ouvrir un lieu au point cliqué ».")


def prepared_download(kind: str, context: tuple, prepare_label: str, spinner: str, make, download_label: str,
                      file_name: str, mime: str) -> None:
    """A « Préparer » button that builds a file, then its download button.

    The file is kept in the session with the ``context`` it was made for (territory, mode, scenario,
    threshold): once the user changes any of them, the stale file is no longer offered.
    """
    if st.button(prepare_label, key=f"make_{kind}"):
        with st.spinner(spinner):
            st.session_state[f"file_{kind}"] = (context, make())
    stored = st.session_state.get(f"file_{kind}")
    if stored and stored[0] == context:
        st.download_button(download_label, stored[1], file_name=file_name, mime=mime, key=f"dl_{kind}")


def export_tab(study, study_key: str, result, threshold: float) -> None:
    from access30.outputs import export
    from access30.outputs.maps import png_bytes
    from access30.outputs.report import pdf_bytes
    from access30.outputs.tables import communes_table, csv_bytes, xlsx_bytes

    st.subheader("Télécharger les résultats")
    name = result.scenario.name if result.scenario is not None else BASELINE
    st.caption(f"Résultats du scénario affiché (« {html.escape(name)} »), seuil {fmt_num(threshold)} min.")
    stem = f"access30_{fmt_num(threshold)}min".replace(",", "_") + ("" if name == BASELINE else "_" + "".join(
        c if c.isalnum() else "_" for c in name))
    context = (study_key, name, result.scenario.changes if result.scenario is not None else (), threshold)

    def gpkg() -> bytes:
        folder = Path(tempfile.mkdtemp(prefix="access30_"))
        try:
            path = folder / f"{stem}.gpkg"
            export.write_gpkg(result, path, study.communes)
            return path.read_bytes()
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    c1, c2, c3 = st.columns(3)
    with c1:
        prepared_download("gpkg", context, "Préparer le GeoPackage (carreaux, communes, lieux)",
                          "Écriture du GeoPackage…", gpkg, "Télécharger le GeoPackage", f"{stem}.gpkg",
                          "application/geopackage+sqlite3")
    with c2:  # the same file as communes.csv of « access30 report »
        st.download_button("Communes (CSV)", csv_bytes(communes_table(result)),
                           file_name=f"{stem}_communes.csv", mime="text/csv", key="dl_communes")
    units = result.units.drop(columns="geometry")
    stored = st.session_state.get("suggestion")
    suggestion = stored[2] if stored and stored[1] == threshold else None

    def map_png() -> bytes:
        return png_bytes(result, study, suggestion=suggestion)

    def report_pdf() -> bytes:
        png = st.session_state.get("file_png")
        return pdf_bytes(result, study, suggestion=suggestion,
                         map_png=png[1] if png and png[0] == context else map_png())

    d1, d2, d3 = st.columns(3)
    with d1:
        prepared_download("xlsx", context, "Préparer le classeur Excel", "Écriture du classeur…",
                          lambda: xlsx_bytes(result, study, suggestion=suggestion),
                          "Télécharger le classeur (.xlsx)", f"{stem}.xlsx",
                          "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    with d2:
        prepared_download("png", context, "Préparer la carte (PNG)", "Dessin de la carte…", map_png,
                          "Télécharger la carte (.png)", f"{stem}.png", "image/png")
    with d3:
        prepared_download("pdf", context, "Préparer le rapport (PDF)", "Rédaction du rapport…", report_pdf,
                          "Télécharger le rapport (.pdf)", f"{stem}.pdf", "application/pdf")
    with c3:
        st.download_button("Carreaux / unités (CSV)", pd.DataFrame(units).to_csv(index=False).encode("utf-8-sig"),
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


def main() -> None:
    st.markdown(FRENCH_UPLOADER_CSS, unsafe_allow_html=True)
    study, routing, study_key, threshold, mode = sidebar()
    reset_scenarios_if_new_territory(st.session_state.get("scope", study_key))
    st.title("Accès au premier accueil social inconditionnel")
    names = [BASELINE, *scenarios()]
    if st.session_state.get("active") not in names:
        st.session_state["active"] = BASELINE
    top = st.columns([3, 2])
    top[0].markdown(f"**{html.escape(study.label)}** — seuil {fmt_num(threshold)} min {mode_words(mode)}"
                    + (" — réseau partiel (routes principales)" if study.network.partial else ""))
    selectbox(top[1], "Scénario affiché", names, key="active", label_visibility="collapsed", placeholder="Choisir…")
    base = scenario_result(study_key, (), threshold, study, routing)
    changes = active_changes()
    try:  # a scenario made by car may not replay on foot (a point too far from any footpath)
        with st.spinner("Mise à jour du scénario…"):
            state = scenario_state(study_key, changes, study, routing)
            result = scenario_result(study_key, changes, threshold, study, routing, active_name())
    except InputError as exc:
        st.warning(f"Le scénario « {html.escape(active_name())} » ne peut pas être recalculé dans ce mode : "
                   f"{for_app(exc)}. La situation actuelle est affichée ; le scénario est conservé.")
        changes = ()
        state = scenario_state(study_key, changes, study, routing)
        result = base
    if result.scenario is not None:
        st.error(f"**Scénario « {html.escape(result.scenario.name)} » — hypothèse de travail, pas la situation "
                 f"actuelle** : {' ; '.join(html.escape(line) for line in result.scenario.changes)}.",
                 icon=":material/science:")
    result = with_load(result, study, routing, study_key, threshold)
    headline(result, base, study, threshold, mode, active_name())
    notices_box(result)
    tabs = st.tabs(["Carte et scénarios", "Indicateurs", "Comparer les scénarios", "Suggestions", "Export",
                    "Méthode et sources"])
    with tabs[0]:
        map_tab(study, routing, study_key, base, result, state, threshold)
    for notice in result.notices:
        if notice.code in ("population_outside_network", "transit_stops_far"):
            st.sidebar.warning(notice.message)
    with tabs[1]:
        indicators_tab(result, threshold, mode)
    with tabs[2]:
        scenarios_tab(study, routing, study_key, base, threshold)
    with tabs[3]:
        suggestions_tab(study, routing, study_key, base, threshold)
    with tabs[4]:
        export_tab(study, study_key, result, threshold)
    with tabs[5]:
        method_tab(study, result)


main()
