"""Result tables for analysts and spreadsheet users: CSV files and an Excel workbook, in French.

Every table is built once as a :class:`Table` (a DataFrame with French column headers and a kind per
column: integer, percentage, minutes, text…) and written two ways:

* CSV that a French Excel opens as columns (:mod:`access30.base.frcsv`: semicolon, decimal comma,
  UTF-8 with BOM; percentages as numbers 0–100 in columns whose header ends with « (%) »; read them
  in R or Python with ``sep=";", decimal=","``);
* an ``.xlsx`` workbook (openpyxl) for spreadsheet users: sheets *Synthèse*, *Communes*, *EPCI*,
  *Zones non couvertes*, *Lieux d'accueil*, *Suggestions*, *Sources et méthode*; numbers stored as
  numbers with display formats (thousands separators, percentages as percentages, minutes with one
  decimal), bold frozen header row, column widths set, filters on data sheets.

Functions returning ``bytes`` (:func:`xlsx_bytes`, :func:`csv_bytes`) serve the app's download
buttons; :func:`write_xlsx` and :func:`write_csv_tables` write files atomically.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from access30.base.errors import headline_notices
from access30.base.files import atomic_path
from access30.base.fmt import fmt_int, fmt_num, honest_share
from access30.base.frcsv import french_csv_bytes
from access30.base.labels import EQUITY_LABELS_FR, MODEL_LABELS_FR, UNIT_NOUNS, sites_by_type
from access30.base.names import commune_name, known_names
from access30.coverage.capacity import unit_plural
from access30.coverage.result import CoverageResult, WaitReport
from access30.coverage.rules import STATUS_COVERED, STATUS_NO_ROAD, STATUS_UNCOVERED
from access30.coverage.scenario import ORIGIN_ADDED
from access30.inputs.sites import CANDIDATE_TYPES, SITE_TYPES
from access30.inputs.study import Study
from access30.network.modes import get_mode, mode_words
from access30.outputs.export import uncovered_zones, units_layer

# Column kinds and their Excel display formats (Excel shows ``#,##0`` with the reader's own
# thousands separator, a space in a French Excel).
FORMATS = {
    "int": "#,##0",
    "pop": "#,##0",
    "pct": "0.0%",
    "pct2": "0.00%",
    "min": "0.0",
    "km2": "0.00",
    "num": "0.000",
    "deg": "0.00000",
    "text": "@",
    "bool": "General",
    "date": "DD/MM/YYYY",
    "days": "0.00",
}
_WIDTHS = {"int": 12, "pop": 14, "pct": 12, "pct2": 12, "min": 12, "km2": 12, "num": 12, "deg": 12, "text": 18,
           "bool": 10, "days": 12,
           "date": 12}
SHEETS = ("Synthèse", "Communes", "EPCI", "Zones non couvertes", "Lieux d'accueil", "Suggestions",
          "Sources et méthode", "Paramètres du calcul")
CSV_NAMES = {
    "Scénario": "scenario.csv",
    "Secteurs": "secteurs.csv",
    "Synthèse": "synthese.csv",
    "Communes": "communes.csv",
    "EPCI": "epci.csv",
    "Zones non couvertes": "zones_non_couvertes.csv",
    "Lieux d'accueil": "lieux_accueil.csv",
    "Suggestions": "suggestions.csv",
    "Sources et méthode": "sources_methode.csv",
    "Paramètres du calcul": "parametres_calcul.csv",
    "Charge des lieux": "charge_lieux.csv",
    "2SFCA par commune": "indice_2sfca_communes.csv",
    "Attente": "attente.csv",
    "Attente par commune": "attente_communes.csv",
}
# Sheets added only when a capacity is known (``--capacity``), after « Lieux d'accueil ».
CAPACITY_SHEETS = ("Charge des lieux", "2SFCA par commune")


@dataclass
class Table:
    """A French table: data, the kind of each column, and an optional note shown when empty.

    Attributes
    ----------
    frame : DataFrame
        French column headers; percentages as fractions (0.988), times in minutes.
    kinds : dict
        Column → kind (a key of :data:`FORMATS`). Missing columns are text.
    empty_note : str
        Sentence written in the sheet when the table has no rows.
    row_kinds : list of str, optional
        Per-row kind of the value columns (the Synthèse sheet mixes counts and shares).
    value_columns : tuple of str
        The columns whose kind is given per row by ``row_kinds``.
    """

    frame: pd.DataFrame
    kinds: dict[str, str]
    empty_note: str = ""
    row_kinds: list[str] = field(default_factory=list)
    value_columns: tuple[str, ...] = ("Valeur",)

    def kind(self, column: str) -> str:
        """Kind of ``column`` (a key of :data:`FORMATS`), ``"text"`` when not given."""
        return self.kinds.get(column, "text")

    def by_row(self) -> list[int]:
        """Positions of the columns whose kind is given per row."""
        if not self.row_kinds:
            return []
        return [j for j, column in enumerate(self.frame.columns) if column in self.value_columns]


def _commune_names(study: Study | None) -> dict[str, str]:
    return known_names(study.communes if study is not None else None)


def _area_table(frame: pd.DataFrame, key: str, key_label: str, name: str, name_label: str,
                extra: dict[str, str] | None = None, equity: list[str] | None = None) -> Table:
    """Communes or EPCI indicators with French headers, most uncovered people first."""
    columns = {key: key_label, name: name_label, **(extra or {}),
               "population": "Population", "covered": "Population couverte",
               "not_covered": "Population non couverte", "no_road": "dont sans accès routier",
               "share_covered": "Part couverte", "mean_min": "Temps moyen (min)",
               "median_min": "Temps médian (min)", "p90_min": "Temps 90e centile (min)",
               "units": "Unités de population"}
    kinds = {"Population": "pop", "Population couverte": "pop", "Population non couverte": "pop",
             "dont sans accès routier": "pop", "Part couverte": "pct", "Temps moyen (min)": "min",
             "Temps médian (min)": "min", "Temps 90e centile (min)": "min", "Unités de population": "int"}
    for group in equity or []:
        label = f"Part couverte — {EQUITY_LABELS_FR.get(group, group)}"
        columns[f"{group}_share_covered"] = label
        kinds[label] = "pct"
    if frame.empty:
        return Table(pd.DataFrame(columns=list(columns.values())), kinds, "Aucune donnée.")
    table = frame.copy()
    for column in columns:
        if column not in table.columns:
            table[column] = ""
    table = table.sort_values(["not_covered", "population"], ascending=[False, False])
    out = table[list(columns)].rename(columns=columns).reset_index(drop=True)
    for column, kind in kinds.items():
        if column in out.columns:
            out[column] = pd.to_numeric(out[column], errors="coerce").replace([np.inf, -np.inf], np.nan)
            if kind == "int":
                out[column] = out[column].astype("Int64")
    return Table(out, kinds)


def communes_table(result: CoverageResult) -> Table:
    """Indicators per commune, most uncovered people first (population non couverte = non couverte +
    sans accès routier)."""
    extra = {"epci_nom": "EPCI"} if "epci_nom" in result.communes.columns else {}
    return _area_table(result.communes, "commune", "Code commune", "nom", "Commune", extra,
                       _equity_groups(result))


def epci_table(result: CoverageResult) -> Table:
    """Indicators per EPCI (intercommunalité), most uncovered people first."""
    table = _area_table(result.epci, "epci", "Code EPCI (SIREN)", "epci_nom", "EPCI", None, _equity_groups(result))
    if result.epci.empty:
        table.empty_note = "Les communes de ce territoire ne sont pas rattachées à un EPCI dans les données fournies."
    return table


def _equity_groups(result: CoverageResult) -> list[str]:
    return [g for g in result.equity["group"].tolist() if g != "population"]


#: Columns of the per-unit layer (:func:`access30.outputs.export.units_layer`) in French, with their kinds.
CELL_COLUMNS = {
    "unit_id": ("Identifiant de l'unité", "text"), "commune": ("Code commune", "text"),
    "population": ("Population", "num"), "status": ("Situation", "text"), "covered": ("Couvert (1 = oui)", "int"),
    "time_min": ("Temps au lieu le plus proche (min)", "min"), "site": ("Lieu le plus proche", "text"),
    "site_id": ("Identifiant du lieu le plus proche", "text"), "site_type": ("Type du lieu le plus proche", "text"),
    "time2_min": ("Temps au deuxième lieu (min)", "min"), "site2": ("Deuxième lieu le plus proche", "text"),
    "site2_id": ("Identifiant du deuxième lieu", "text"), "access_leg_min": ("Trajet d'approche (min)", "min"),
    "estimated_min": ("Partie estimée du temps (min)", "min"), "snap_m": ("Distance à la route (m)", "num"),
    "epci": ("Code EPCI", "text"), "x": ("X en projection locale (m)", "num"),
    "y": ("Y en projection locale (m)", "num"),
}


def cells_table(result: CoverageResult) -> Table:
    """One row per population unit (the GeoPackage's ``cells`` layer without geometry), French headers;
    an unreached time is an empty cell, never « inf »; equity columns named in French."""
    layer = units_layer(result)
    columns = {c: CELL_COLUMNS[c] for c in CELL_COLUMNS if c in layer.columns}
    for group in _equity_groups(result):
        if group in layer.columns:
            columns[group] = (EQUITY_LABELS_FR.get(group, group), "num")
    frame = pd.DataFrame(layer[list(columns)]).rename(columns={c: v[0] for c, v in columns.items()})
    if "Type du lieu le plus proche" in frame.columns:
        frame["Type du lieu le plus proche"] = frame["Type du lieu le plus proche"].map(
            lambda t: SITE_TYPES.get(t, t))
    return Table(frame.reset_index(drop=True), {label: kind for label, kind in columns.values()})


def zones_table(zones) -> Table:
    """Uncovered zones (see :func:`access30.outputs.export.uncovered_zones`), most populated first."""
    columns = {"zone_id": "N° zone", "status": "Situation", "population": "Population",
               "units": "Unités de population", "area_km2": "Surface (km²)", "mean_min": "Temps moyen (min)",
               "max_min": "Temps maximal (min)",
               "commune": "Code commune principale", "nom": "Commune principale"}
    kinds = {"N° zone": "int", "Population": "pop", "Unités de population": "int", "Surface (km²)": "km2",
             "Temps moyen (min)": "min", "Temps maximal (min)": "min"}
    frame = pd.DataFrame(zones.drop(columns="geometry", errors="ignore"))
    if frame.empty:
        return Table(pd.DataFrame(columns=list(columns.values())), kinds,
                     "Aucune zone non couverte : toute la population est couverte (au seuil ou en deçà).")
    out = frame[list(columns)].rename(columns=columns)
    out["N° zone"] = out["N° zone"].astype("Int64")
    out["Unités de population"] = out["Unités de population"].astype("Int64")
    return Table(out.reset_index(drop=True), kinds)


def sites_table(result: CoverageResult, study: Study | None = None) -> Table:
    """Reception points with their catchment (people for whom the site is the nearest)."""
    sites = result.sites
    names = _commune_names(study)
    wgs = sites.to_crs("EPSG:4326")
    threshold = f"{fmt_num(result.threshold_min)}"
    out = pd.DataFrame({
        "Identifiant": sites["site_id"].astype(str).to_numpy(),
        "Nom": sites["name"].astype(str).to_numpy(),
        "Type": (sites["type"].map(SITE_TYPES).fillna(sites["type"]).astype(str)
                 + np.where(sites.get("origin", pd.Series("", index=sites.index)).eq(ORIGIN_ADDED),
                            " — hypothétique (scénario)", "")).to_numpy(),
        "Code commune": sites["commune"].astype(str).to_numpy(),
        "Commune": sites["commune"].astype(str).map(names).fillna("").to_numpy(),
        "Adresse": sites["address"].astype(str).to_numpy() if "address" in sites else "",
        "Population la plus proche": sites["catchment_population"].to_numpy(dtype=float),
        f"dont à {threshold} min ou moins": sites["catchment_covered"].to_numpy(dtype=float),
        "Relié au réseau": np.where(sites["on_network"].to_numpy(dtype=bool), "oui", "non"),
        "Longitude": wgs.geometry.x.to_numpy(),
        "Latitude": wgs.geometry.y.to_numpy(),
        "Source": sites["source"].astype(str).to_numpy() if "source" in sites else "",
    })
    out = out.sort_values("Population la plus proche", ascending=False, kind="stable").reset_index(drop=True)
    kinds = {"Population la plus proche": "pop", f"dont à {threshold} min ou moins": "pop",
             "Longitude": "deg", "Latitude": "deg"}
    return Table(out, kinds)


# Columns of a Suggestion.suggested frame that the tables know how to name; others are kept as is.
_SUGGESTION_COLUMNS = {
    "rank": ("Rang", "int"), "order": ("Rang", "int"), "candidate_id": ("Identifiant", "text"),
    "name": ("Nom", "text"), "type": ("Type", "text"), "commune": ("Code commune", "text"),
    "address": ("Adresse", "text"), "gain": ("Gain (habitants couverts)", "pop"),
    "marginal_gain": ("Gain (habitants couverts)", "pop"), "covered_gain": ("Gain (habitants couverts)", "pop"),
    "newly_covered": ("Gain (habitants couverts)", "pop"), "cumulative": ("Gain cumulé", "pop"),
    "cumulative_gain": ("Gain cumulé", "pop"), "covered_after": ("Population couverte après", "pop"),
    "share_after": ("Part couverte après", "pct"),
    "population_newly_covered": ("Habitants nouvellement couverts", "pop"),
    "catchment_population": ("Habitants dont il devient le lieu le plus proche", "pop"),
    "nearest_site": ("Lieu existant le plus proche", "text"),
    "nearest_site_time_min": ("Temps jusqu'au lieu existant le plus proche (min)", "min"),
    "lon": ("Longitude", "deg"), "lat": ("Latitude", "deg"), "source": ("Source", "text"),
    "gain_note": ("Apport", "text"), "served_population": ("Habitants servis (capacité)", "pop"),
    "capacity_people": ("Capacité (habitants)", "pop"), "commune_nom": ("Commune", "text"),
}


def suggestion_gain_column(frame: pd.DataFrame) -> str | None:
    """Name of the per-site gain column of a suggested-sites frame, if any."""
    for column in ("population_newly_covered", "gain", "marginal_gain", "covered_gain", "newly_covered"):
        if column in frame.columns:
            return column
    return None


def suggestions_table(suggestion=None, study: Study | None = None) -> Table:
    """Suggested new sites (duck-typed ``Suggestion``: ``.suggested``, ``.objective``, ``.gap``…)."""
    if suggestion is None or len(suggestion.suggested) == 0:
        return Table(pd.DataFrame(columns=["Rang", "Nom", "Code commune", "Gain (habitants couverts)"]),
                     {"Rang": "int", "Gain (habitants couverts)": "pop"},
                     "Aucune suggestion de nouveaux lieux n'a été calculée pour cette édition.")
    suggested = pd.DataFrame(suggestion.suggested.drop(columns=suggestion.suggested.geometry.name))
    wgs = suggestion.suggested.to_crs("EPSG:4326").geometry.representative_point()
    columns, kinds, used = {}, {}, set()
    for column in suggested.columns:
        label, kind = _SUGGESTION_COLUMNS.get(column, (str(column), None))
        group = str(column).removesuffix("_newly_covered")
        if kind is None and group in EQUITY_LABELS_FR:
            label, kind = f"{EQUITY_LABELS_FR[group]} nouvellement couverts", "pop"
        if label in used:
            continue
        used.add(label)
        columns[column] = label
        if kind is None:
            kind = "num" if pd.api.types.is_float_dtype(suggested[column]) else (
                "int" if pd.api.types.is_integer_dtype(suggested[column]) else "text")
        kinds[label] = kind
    out = suggested[list(columns)].rename(columns=columns)
    if "Rang" not in out.columns:
        out.insert(0, "Rang", np.arange(1, len(out) + 1))
        kinds["Rang"] = "int"
    names = _commune_names(study)
    if "Code commune" in out.columns and "Commune" not in out.columns:  # a site just outside: the national name
        out.insert(list(out.columns).index("Code commune") + 1, "Commune",
                   [commune_name(code, names) for code in out["Code commune"].astype(str)])
    if "Type" in out.columns:  # candidates: a town hall of any commune, not one of 1,500+ inhabitants
        out["Type"] = out["Type"].map(lambda t: CANDIDATE_TYPES.get(t, t))
    if "Longitude" not in out.columns:
        out["Longitude"] = wgs.x.to_numpy()
        out["Latitude"] = wgs.y.to_numpy()
        kinds.update({"Longitude": "deg", "Latitude": "deg"})
    return Table(out.reset_index(drop=True), kinds)


def synthese_table(result: CoverageResult, study: Study | None = None, suggestion=None,
                   report_date: date | None = None) -> Table:
    """Headline figures, one per row: Indicateur, Valeur, Définition (value kind per row)."""
    s = result.summary
    t = f"{fmt_num(s.threshold_min)}"
    mode = mode_words(s.travel_mode)
    rows: list[tuple[str, object, str, str]] = [("AVERTISSEMENT", "à lire avant les chiffres", "text", n.short)
                                                for n in headline_notices(result.notices)]
    if result.scenario is not None:
        info = result.scenario
        rows.append(("SCÉNARIO", info.name, "text", "hypothèse de travail : ces chiffres ne décrivent pas la "
                     "situation actuelle (modifications et comparaison : feuille « Scénario »)"))
    rows += [
        ("Territoire", s.territory, "text", ""),
        ("Date du calcul", report_date or date.today(), "date", ""),
        ("Seuil (minutes)", s.threshold_min, "min", f"temps d'accès {mode}, seuil inclus (30:00 est couvert)"),
        ("Population totale", s.population_total, "pop", s.population_label),
        ("Population couverte", s.population_covered, "pop",
         f"à {t} min ou moins du lieu d'accueil le plus proche, trajets d'approche compris"),
        ("Part de la population couverte", s.share_covered, "pct", "population couverte / population totale"),
        ("Population non couverte", s.population_uncovered + s.population_no_road, "pop",
         "au-delà du seuil, ou sans accès routier"),
        ("dont sans accès routier", s.population_no_road, "pop",
         f"à plus de {fmt_int(s.max_access_m)} m à vol d'oiseau de toute route du réseau"),
        ("Temps d'accès moyen (min)", s.mean_time_min, "min", "pondéré par la population"),
        ("Temps d'accès médian (min)", s.median_time_min, "min", "la moitié de la population est plus proche"),
        ("Temps d'accès, 90e centile (min)", s.p90_time_min, "min", "90 % de la population est plus proche"),
        ("Lieux d'accueil", s.sites_total, "int", sites_by_type(s.sites_by_type)
         + (f" ; dont {s.sites_total - s.sites_on_network} loin de toute route, atteints seulement en "
            "ligne droite" if s.sites_on_network < s.sites_total else "")),
        ("Unités de population", s.cells_total, "int", UNIT_NOUNS.get(s.population_kind, ("", ""))[1]),
        ("Unités couvertes", s.cells_covered, "int", ""),
        ("Unités non couvertes", s.cells_uncovered, "int", ""),
        ("Unités sans accès routier", s.cells_no_road, "int", ""),
        ("Part estimée des temps d'accès", s.estimated_time_share, "pct",
         "part moyenne du temps non calculée sur le réseau cartographié (trajets d'approche, liaisons estimées)"),
        ("Réseau routier", s.network_source + (" — réseau partiel (routes principales)" if s.network_partial else ""),
         "text", f"{fmt_int(s['network_nodes'])} nœuds, {fmt_int(s['network_edges'])} arcs"),
    ]
    for _, row in result.equity.iloc[1:].iterrows():
        rows.append((f"Part couverte — {EQUITY_LABELS_FR.get(row['group'], row['group'])}", row["share_covered"],
                     "pct", f"{fmt_int(row['total'])} au total"))
    if suggestion is not None:
        rows += suggestion_rows(suggestion)
    frame = pd.DataFrame([(r[0], r[1], r[3]) for r in rows], columns=["Indicateur", "Valeur", "Définition"])
    return Table(frame, {"Indicateur": "text", "Définition": "text"}, row_kinds=[r[2] for r in rows])


def objective_kind(suggestion) -> tuple[str, str]:
    """Kind and French meaning of a suggestion's objective and bound, by model."""
    model = getattr(suggestion, "model", "maxcover")
    if model == "cover":
        return "int", "nombre de nouveaux lieux nécessaires pour couvrir tous les habitants atteignables"
    if model == "median":
        return "min", "temps d'accès moyen (min) avec les nouveaux lieux"
    return "pop", "habitants couverts (existants et nouveaux lieux)"


def suggestion_rows(suggestion) -> list[tuple[str, object, str, str]]:
    """Synthèse rows (Indicateur, Valeur, kind, Définition) of a duck-typed ``Suggestion``."""
    model = getattr(suggestion, "model", "")
    kind, meaning = objective_kind(suggestion)
    rows = [("Nouveaux lieux suggérés", int(len(suggestion.suggested)), "int",
             f"modèle : {MODEL_LABELS_FR.get(model, model)}"
             + (f", {suggestion.k} demandés" if getattr(suggestion, "k", None) else ""))]
    before = getattr(suggestion, "population_covered_before", None)
    after = getattr(suggestion, "population_covered_after", None)
    if before is not None and after is not None:
        rows += [("Population couverte avant", float(before), "pop", "lieux existants seuls"),
                 ("Population couverte après", float(after), "pop", "lieux existants et lieux suggérés"),
                 ("Gain (habitants nouvellement couverts)", float(after) - float(before), "pop", "")]
    rows += [
        ("Valeur de la solution", float(suggestion.objective), kind, meaning),
        ("Borne prouvée", float(suggestion.bound), kind, "aucune solution ne peut faire mieux que cette valeur"),
        ("Écart d'optimalité", float(suggestion.gap), "pct",
         "solution optimale prouvée" if bool(suggestion.optimal) else "écart relatif entre solution et borne"),
    ]
    return rows


def method_lines(result: CoverageResult, study: Study | None = None) -> list[tuple[str, str]]:
    """(Rubrique, Texte) lines on sources, method and notices, shared by the workbook and the report."""
    s = result.summary
    lines = [("Source", line) for line in (study.sources if study is not None else [])]
    lines.append(("Méthode", get_mode(s.travel_mode).method))
    lines += [
        ("Méthode", f"Seuil de {fmt_num(s.threshold_min)} minutes, inclus : un habitant à exactement "
                    f"{fmt_num(s.threshold_min)} min est couvert."),
        ("Méthode", "Trajet d'approche entre le lieu de vie (ou le lieu d'accueil) et la route la plus proche : "
                    f"distance à vol d'oiseau × {fmt_num(s.access_detour)} parcourue à "
                    f"{fmt_num(s.access_speed_kmh)} km/h."),
        ("Méthode", "Chaque habitant est rattaché au lieu d'accueil le plus rapide à atteindre ; "
                    + (f"seuls les lieux ouverts {s.hours.when} comptent." if s.hours is not None
                       else "les horaires d'ouverture ne sont pas pris en compte.")),
    ]
    lines += [("À lire avant les chiffres" if n.headline else "À savoir", n.message) for n in result.notices]
    return lines


def sources_table(result: CoverageResult, study: Study | None = None) -> Table:
    """Sources, method and notices as a two-column table."""
    frame = pd.DataFrame(method_lines(result, study), columns=["Rubrique", "Texte"])
    return Table(frame, {})


def load_table(result: CoverageResult) -> Table:
    """Charge des lieux d'accueil: capacity, people assigned, load, sole-site share, overload flag."""
    report = result.capacity
    unit = report.unit
    frame = report.sites_load
    out = pd.DataFrame({
        "Identifiant": frame["site_id"].to_numpy(),
        "Nom": frame["name"].to_numpy(),
        f"Capacité ({unit_plural(unit)})": frame["capacity"].to_numpy(dtype=float),
        "Capacité en habitants": frame["capacity_people"].to_numpy(dtype=float),
        f"Population rattachée (≤ {fmt_num(result.threshold_min)} min, lieu le plus proche)":
            frame["population_assigned"].to_numpy(dtype=float),
        f"Charge (habitants par {unit})": frame["load"].to_numpy(dtype=float),
        "Part sans autre lieu à portée": frame["sole_share"].to_numpy(dtype=float),
        "Surchargé": np.where(frame["overloaded"].to_numpy(dtype=bool), "oui", "non"),
    }).sort_values(f"Charge (habitants par {unit})", ascending=False, kind="stable", na_position="last")
    kinds = {f"Capacité ({unit_plural(unit)})": "min", "Capacité en habitants": "pop",
             f"Population rattachée (≤ {fmt_num(result.threshold_min)} min, lieu le plus proche)": "pop",
             f"Charge (habitants par {unit})": "min", "Part sans autre lieu à portée": "pct"}
    return Table(out.reset_index(drop=True), kinds, empty_note=report.people_label)


def fca_communes_table(result: CoverageResult, study: Study | None = None) -> Table:
    """2SFCA and E2SFCA per commune, population-weighted (capacity per 1,000 inhabitants)."""
    report = result.capacity
    frame = report.by_commune
    names = _commune_names(study)
    label = report.fca.unit_label
    out = pd.DataFrame({
        "Code commune": frame["commune"].astype(str).to_numpy(),
        "Commune": frame["commune"].astype(str).map(names).fillna("").to_numpy(),
        "Population": frame["population"].to_numpy(dtype=float),
        f"2SFCA moyen ({label})": frame["fca_2sfca_mean"].to_numpy(dtype=float),
        "2SFCA médian": frame["fca_2sfca_median"].to_numpy(dtype=float),
        f"E2SFCA moyen ({label})": frame["fca_e2sfca_mean"].to_numpy(dtype=float),
        "Part sans capacité à portée": frame["share_zero"].to_numpy(dtype=float),
    }).sort_values(f"2SFCA moyen ({label})", kind="stable")
    kinds = {"Population": "pop", f"2SFCA moyen ({label})": "num", "2SFCA médian": "num",
             f"E2SFCA moyen ({label})": "num", "Part sans capacité à portée": "pct"}
    return Table(out.reset_index(drop=True), kinds)


def record_table(record=None) -> Table:
    """The run record (:class:`access30.base.record.RunRecord`), one row per item: how the figures were
    made (version, command, every option, every file read with its SHA-256, sources, packages, times)."""
    rows = record.rows() if record is not None else []
    return Table(pd.DataFrame(rows, columns=["Rubrique", "Élément", "Valeur"]), {},
                 empty_note="Journal du calcul non disponible.")


def all_tables(result: CoverageResult, study: Study | None = None, suggestion=None, zones=None,
               report_date: date | None = None, record=None) -> dict[str, Table]:
    """Every table of the workbook, keyed by sheet name (see :data:`SHEETS`); « Paramètres du calcul »
    when the run record is given."""
    if zones is None:
        zones = uncovered_zones(result, study.communes if study is not None else None)
    tables = {
        "Synthèse": synthese_table(result, study, suggestion, report_date),
        "Communes": communes_table(result),
        "EPCI": epci_table(result),
        "Zones non couvertes": zones_table(zones),
        "Lieux d'accueil": sites_table(result, study),
    }
    if result.sectors is not None:
        tables["Secteurs"] = sectors_table(result)
    if result.capacity is not None:
        tables["Charge des lieux"] = load_table(result)
        tables["2SFCA par commune"] = fca_communes_table(result, study)
    if result.wait is not None:
        tables["Attente"] = wait_table(result.wait)
        tables["Attente par commune"] = wait_communes_table(result.wait)
    tables["Suggestions"] = suggestions_table(suggestion, study)
    tables["Sources et méthode"] = sources_table(result, study)
    if record is not None:
        tables["Paramètres du calcul"] = record_table(record)
    if result.scenario is not None:
        tables = {"Scénario": scenario_table(result), **tables}
    return tables


def wait_rows(wait: WaitReport) -> list[tuple[str, object, str, str]]:
    """The wait's headline figures: (Indicateur, Valeur, kind, Définition)."""
    hours = "horaires sans rendez-vous" if wait.walk_in else "horaires d'ouverture"
    known = "des habitants à portée aux horaires connus"
    return [
        ("Habitants à portée d'un lieu", wait.population_in_reach, "pop",
         f"à {fmt_num(wait.threshold_min)} min ou moins (seuil inclus) d'au moins un lieu d'accueil"),
        ("dont lieux aux horaires inconnus seulement", wait.population_unknown, "pop", "pas d'attente calculée"),
        ("Ouverture chaque semaine", wait.share("weekly"), "pct",
         f"part {known} : un lieu atteint ouvre ({hours}) chacune des quatre semaines du cycle"),
        ("Ouverture chaque quinzaine", wait.share("fortnightly"), "pct",
         f"part {known} : une ouverture dans toute période de deux semaines, pas chaque semaine"),
        ("Ouverture moins souvent", wait.share("less_often"), "pct", f"part {known}"),
        ("Jamais ouvert sur le cycle", wait.share("never"), "pct", f"part {known} : lieux atteints fermés"),
        ("Attente moyenne (jours)", wait.mean_wait_days, "days",
         "depuis un moment tiré au hasard sur quatre semaines jusqu'à la prochaine ouverture d'un lieu atteint "
         "dans le seuil (0 si l'un est ouvert)"),
        ("Attente, 90e centile (jours)", wait.p90_wait_days, "days", "90 % des habitants et des moments attendent "
         "moins"),
    ]


def wait_table(wait: WaitReport) -> Table:
    """The wait for an opening within reach (``--wait``): one figure per row with what it counts."""
    rows = wait_rows(wait)
    frame = pd.DataFrame([(r[0], r[1], r[3]) for r in rows], columns=["Indicateur", "Valeur", "Définition"])
    return Table(frame, {"Indicateur": "text", "Définition": "text"}, row_kinds=[r[2] for r in rows])


def wait_communes_table(wait: WaitReport) -> Table:
    """The wait per commune, longest mean wait first."""
    columns = {"commune": "Code commune", "nom": "Commune", "population_in_reach": "Habitants à portée",
               "population_unknown": "dont horaires inconnus", "share_weekly": "Ouverture chaque semaine",
               "share_fortnightly": "Chaque quinzaine", "share_less_often": "Moins souvent",
               "share_never": "Jamais", "mean_wait_days": "Attente moyenne (jours)",
               "p90_wait_days": "Attente, 90e centile (jours)"}
    kinds = {"Habitants à portée": "pop", "dont horaires inconnus": "pop", "Ouverture chaque semaine": "pct",
             "Chaque quinzaine": "pct", "Moins souvent": "pct", "Jamais": "pct", "Attente moyenne (jours)": "days",
             "Attente, 90e centile (jours)": "days"}
    frame = wait.communes[list(columns)].rename(columns=columns)
    return Table(frame, kinds, "Aucun habitant à portée d'un lieu d'accueil.")


def sectors_table(result: CoverageResult) -> Table:
    """Per commune: coverage to the nearest site and to the sector's own site, largest gap first."""
    columns = {"commune": "Code commune", "nom": "Commune", "sector_sites": "Lieux du secteur",
               "population": "Population", "covered_nearest": "Couverts (lieu le plus proche)",
               "covered_assigned": "Couverts (lieu de rattachement)", "share_nearest": "Part couverte (plus proche)",
               "share_assigned": "Part couverte (rattachement)", "gap": "Écart (habitants)",
               "mean_assigned_min": "Temps moyen jusqu'au lieu de rattachement (min)"}
    kinds = {"Population": "pop", "Couverts (lieu le plus proche)": "pop", "Couverts (lieu de rattachement)": "pop",
             "Part couverte (plus proche)": "pct", "Part couverte (rattachement)": "pct", "Écart (habitants)": "pop",
             "Temps moyen jusqu'au lieu de rattachement (min)": "min"}
    frame = result.sectors.communes[list(columns)].rename(columns=columns)
    return Table(frame, kinds, "Aucune commune sectorisée.")


def scenario_table(result: CoverageResult) -> Table:
    """A scenario's changes and its figures next to the current situation's (one row per line)."""
    info, s = result.scenario, result.summary
    b = info.baseline
    rows = [("AVERTISSEMENT", n.short, "", "") for n in headline_notices(result.notices)]
    rows += [(f"Scénario « {info.name} »", "hypothèse de travail, pas la situation actuelle", "", "")]
    rows += [("Modification", line, "", "") for line in info.changes]
    for label, key in (("Population couverte", "population_covered"), ("Part couverte", "share_covered"),
                       ("Temps d'accès moyen (min)", "mean_time_min"), ("Lieux d'accueil pris en compte",
                                                                        "sites_total")):
        rows.append((label, b[key], s[key], s[key] - b[key]))
    kinds = ["text"] * (len(rows) - 4) + ["pop", "pct2", "min", "int"]
    frame = pd.DataFrame(rows, columns=["Ligne", "Situation actuelle", "Scénario", "Écart"])
    return Table(frame, {"Ligne": "text"}, row_kinds=kinds,
                 value_columns=("Situation actuelle", "Scénario", "Écart"))


def _cell_value(value, kind: str = ""):
    """A value as written in a workbook cell: people whole, no infinity (an empty cell)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        value = float(value)
        if not math.isfinite(value):
            return None
        if kind in _PERCENT:  # shown as 0.0 % by Excel: never 100 % while someone is left out
            digits = 1 if kind == "pct" else 2
            honest = honest_share(value, digits)
            return value if honest == round(value, digits + 2) else honest
        return int(round(value)) if kind == "pop" else value
    if isinstance(value, (np.bool_,)):
        return bool(value)
    return value


def _write_sheet(ws, table: Table) -> None:
    frame = table.frame
    header_font = Font(bold=True, color="FFFFFF")
    header_fill = PatternFill("solid", fgColor="1F4E79")
    ws.append(list(frame.columns))
    for cell in ws[1]:
        cell.font = header_font
        cell.fill = header_fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    ws.row_dimensions[1].height = 32
    kinds = [table.kind(column) for column in frame.columns]
    by_row = table.by_row()
    for i, values in enumerate(frame.itertuples(index=False, name=None)):
        ws.append([_cell_value(v, table.row_kinds[i] if j in by_row else kinds[j]) for j, v in enumerate(values)])
    for j, column in enumerate(frame.columns, start=1):
        kind = table.kind(column)
        letter = get_column_letter(j)
        if kind != "text":
            for row in range(2, len(frame) + 2):
                ws.cell(row=row, column=j).number_format = FORMATS[kind]
        texts = frame[column].astype(str).str.len() if kind == "text" and len(frame) else pd.Series([0])
        width = max(_WIDTHS[kind], min(60, int(texts.max()) + 2 if kind == "text" else 0),
                    min(24, len(str(column)) + 2))
        ws.column_dimensions[letter].width = width
    for j in (position + 1 for position in by_row):
        for i, kind in enumerate(table.row_kinds, start=2):
            ws.cell(row=i, column=j).number_format = FORMATS[kind]
            ws.cell(row=i, column=j).alignment = Alignment(horizontal="left" if kind == "text" else "right")
        ws.column_dimensions[get_column_letter(j)].width = 28
    for column in ("Définition", "Texte"):
        if column in frame.columns:
            j = list(frame.columns).index(column) + 1
            ws.column_dimensions[get_column_letter(j)].width = 100
            for row in range(2, len(frame) + 2):
                ws.cell(row=row, column=j).alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
    if len(frame) and not table.row_kinds:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(frame.columns))}{len(frame) + 1}"
    if frame.empty and table.empty_note:
        ws.cell(row=2, column=1, value=table.empty_note).font = Font(italic=True)


def workbook(result: CoverageResult, study: Study | None = None, suggestion=None, zones=None,
             report_date: date | None = None, record=None):
    """The openpyxl ``Workbook`` with the sheets of :data:`SHEETS` (« Paramètres du calcul »: ``record``)."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, table in all_tables(result, study, suggestion, zones, report_date, record).items():
        _write_sheet(wb.create_sheet(name), table)
    wb.properties.title = f"Accès au premier accueil social — {result.summary.territory}"
    wb.properties.creator = "access30"
    return wb


def xlsx_bytes(result: CoverageResult, study: Study | None = None, suggestion=None, zones=None,
               report_date: date | None = None, record=None) -> bytes:
    """The workbook as bytes (for a download button)."""
    buffer = io.BytesIO()
    workbook(result, study, suggestion, zones, report_date, record).save(buffer)
    return buffer.getvalue()


def write_xlsx(result: CoverageResult, path: str | Path, study: Study | None = None, suggestion=None,
               zones=None, report_date: date | None = None, record=None) -> None:
    """Write the workbook atomically (with the « Paramètres du calcul » sheet when ``record`` is given)."""
    data = xlsx_bytes(result, study, suggestion, zones, report_date, record)
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


_PERCENT = ("pct", "pct2")
_CSV_DECIMALS = {"pct": 3, "pct2": 4, "pop": 0, "min": 2, "km2": 3, "deg": 6, "days": 2}


def _csv_value(value, kind: str):
    """One value as written in a CSV: people whole, no « inf » (an empty cell), percentages 0–100."""
    if kind == "date":
        return value.isoformat()
    if kind not in _CSV_DECIMALS:
        return value
    number = pd.to_numeric(value, errors="coerce")
    if not np.isfinite(number):
        return None
    if kind in _PERCENT:
        return round(100 * honest_share(float(number), _CSV_DECIMALS[kind]), _CSV_DECIMALS[kind])
    return int(round(number)) if kind == "pop" else round(float(number), _CSV_DECIMALS[kind])


def csv_frame(table: Table) -> pd.DataFrame:
    """The CSV form of a table: people as whole numbers, percentages as 0–100 numbers in « (%) »
    columns, minutes to 0.01, coordinates to 1e-6°, dates ISO, no « inf » (empty cells)."""
    frame = table.frame.copy()
    renamed = {}
    for column in frame.columns:
        kind = table.kind(column)
        if kind in _CSV_DECIMALS:
            frame[column] = pd.array([_csv_value(v, kind) for v in frame[column]],
                                     dtype="Int64" if kind == "pop" else "Float64")
            if kind in _PERCENT:
                renamed[column] = f"{column} (%)"
    for column in (frame.columns[j] for j in table.by_row()):
        frame[column] = [_csv_value(v, kind) for v, kind in zip(frame[column], table.row_kinds)]
    if table.row_kinds:
        units = ["%" if k in _PERCENT else "min" if k == "min" else "habitants" if k == "pop" else
                 "jours" if k == "days" else ""
                 for k in table.row_kinds]
        frame.insert(2 if "Valeur" in frame.columns else len(frame.columns), "Unité", units)
    return frame.rename(columns=renamed)


def csv_bytes(table: Table) -> bytes:
    """A table as CSV bytes a French Excel opens as columns (:func:`access30.base.frcsv.french_csv_bytes`:
    semicolon, decimal comma, UTF-8 with BOM, no « inf »)."""
    return french_csv_bytes(csv_frame(table))


def write_csv_tables(result: CoverageResult, out_dir: str | Path, study: Study | None = None, suggestion=None,
                     zones=None, report_date: date | None = None, record=None) -> list[Path]:
    """Write one CSV per table (see :data:`CSV_NAMES`) atomically; return the paths written."""
    out_dir = Path(out_dir)
    paths = []
    for name, table in all_tables(result, study, suggestion, zones, report_date, record).items():
        if name == "Suggestions" and suggestion is None:
            continue
        path = out_dir / CSV_NAMES[name]
        data = csv_bytes(table)
        with atomic_path(path) as tmp:
            tmp.write_bytes(data)
        paths.append(path)
    return paths


__all__ = ["Table", "SHEETS", "all_tables", "cells_table", "communes_table", "epci_table", "zones_table", "sites_table",
           "suggestions_table", "synthese_table", "sources_table", "method_lines", "record_table", "workbook",
           "xlsx_bytes",
           "write_xlsx", "csv_bytes", "write_csv_tables", "STATUS_COVERED", "STATUS_UNCOVERED", "STATUS_NO_ROAD"]
