"""The outputs of a mobile team's round (« Présence hors les murs », ``access30 tour``).

From a :class:`~access30.suggest.tour.TourPlan` and the wait before and after it
(:func:`~access30.suggest.tour.tour_wait`): the JSON ``tour`` section (:func:`tour_summary`), the
GeoPackage layers (:func:`tour_layers`: the stops, the team's routes along the network, the cells the
round serves, the base), the workbook (:func:`tour_tables`), the permanences as a site list
(:func:`write_schedule`) and the PDF « Présence hors les murs » (:func:`tour_pdf_bytes`: the schedule
over the four weeks of the cycle, the stops and whom each serves, a map, the wait). Every figure says
what it counts.
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
from openpyxl import Workbook
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Image, SimpleDocTemplate

from access30.base.files import atomic_path
from access30.base.fmt import NBSP, fmt_dec, fmt_int, fmt_num, fmt_pct
from access30.base.moments import CYCLE_WEEKS
from access30.coverage.result import WaitReport
from access30.inputs.study import Study
from access30.network.modes import mode_words
from access30.outputs.export import wait_definitions, write_csv
from access30.outputs.report import (
    _numbered_canvas,
    _p,
    _register_fonts,
    _styles,
    _table,
    fr_date,
    wait_part,
)
from access30.outputs.tables import Table, _write_sheet, record_table, wait_rows
from access30.suggest.tour import TourPlan, schedule_table

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)

#: What each figure of the JSON ``tour`` counts, in French.
TOUR_DEFINITIONS = {
    "population_covered_before": "habitants à portée (seuil inclus, mode des habitants) d'un lieu d'accueil existant "
                                 "ouvert au moins une fois sur le cycle de quatre semaines (ou aux horaires inconnus)",
    "population_covered_after": "les mêmes, avec les arrêts de la tournée comptés comme lieux ouverts à leurs horaires",
    "population_newly_covered": "population_covered_after - population_covered_before : l'objectif maximisé",
    "bound": "borne supérieure prouvée de l'objectif ; gap = (bound - objectif) / bound, 0 quand l'optimum est prouvé",
    "stops.population_newly_covered": "habitants que l'arrêt met à portée en plus des arrêts qui le précèdent dans "
                                      "l'ordre de la tournée",
    "stops.population_nearest": "habitants à portée de la tournée dont cet arrêt est l'arrêt le plus proche",
    "stops.population_nearest_uncovered": "parmi eux, ceux qu'aucun lieu existant ne couvrait",
    "stops.drive_from_base_min": "trajet de l'équipe en voiture depuis la base, en minutes (drive_to_base_min : "
                                 "le retour)",
    "team_drive_min_per_cycle": "minutes de route de l'équipe sur une semaine (deux pour une tournée sur deux "
                                "semaines), base → arrêts du jour → base",
    "wait_before / wait_after": "attente d'une ouverture à portée (voir wait.definitions) avec les lieux existants, "
                                "puis avec les arrêts de la tournée en plus",
}


def tour_summary(plan: TourPlan, wait_before: WaitReport | None = None, wait_after: WaitReport | None = None) -> dict:
    """The JSON ``tour`` section: the plan's figures, each stop (with its hours in French and OSM form and
    whom it serves), the wait before and after, and what each figure counts."""
    out = plan.to_dict()
    for stop in out["stops"]:
        stop["hours"] = {"fr": stop["hours_fr"], "osm": stop["hours_osm"]}
    out["population_in_reach_of_stops"] = float(plan.served["population"].sum()) if plan.served is not None else None
    out["wait_before"] = _wait_json(wait_before)
    out["wait_after"] = _wait_json(wait_after)
    out["notices"] = [notice.message for notice in plan.notices]
    out["definitions"] = {**TOUR_DEFINITIONS, "wait": wait_definitions()}
    return out


def _wait_json(wait: WaitReport | None) -> dict | None:
    if wait is None:
        return None
    figures = wait.to_dict()
    figures.pop("communes")  # per commune: the workbook and the GeoPackage
    return figures


def tour_layers(plan: TourPlan, study: Study) -> dict[str, gpd.GeoDataFrame]:
    """The GeoPackage layers of a round: ``arrets_tournee`` (stops), ``trajets_equipe`` (one line per
    working day along the drive network), ``carreaux_servis`` (the units within the threshold of a stop,
    with their nearest stop, the time to it and whether an existing site covered them), ``base_equipe``."""
    stops = plan.stops.copy()
    stops["served_communes"] = stops.pop("communes_served")
    layers = {"arrets_tournee": stops, "trajets_equipe": plan.routes[plan.routes.geometry.notna()]}
    served = plan.served
    if served is not None and len(served):
        units = study.demand.units
        cells = units.iloc[served["unit"].to_numpy()][["geometry"]].reset_index(drop=True)
        names = plan.stops.set_index("order")
        frame = served.drop(columns="unit").assign(
            stop_name=names["name"].reindex(served["stop"]).to_numpy(),
            stop_hours=names["hours_fr"].reindex(served["stop"]).to_numpy(),
            covered_before=served["covered_before"].astype(int), newly_covered=served["newly_covered"].astype(int),
            time_min=np.ceil(served["time_min"].to_numpy() * 100) / 100)
        layers["carreaux_servis"] = gpd.GeoDataFrame(frame, geometry=cells.geometry.to_numpy(), crs=units.crs)
    base = plan.base
    layers["base_equipe"] = gpd.GeoDataFrame(
        {"site_id": [base.get("site_id") or ""], "name": [base["name"]], "chosen": [base["chosen"]]},
        geometry=gpd.points_from_xy([base["lon"]], [base["lat"]]), crs="EPSG:4326")
    return layers


def write_schedule(plan: TourPlan, path: str | Path) -> None:
    """The permanences as a site list (CSV, UTF-8 with BOM): give it back with ``--sites``."""
    write_csv(schedule_table(plan), path)


# --------------------------------------------------------------------------------------------
# Tables


def cycle_schedule(plan: TourPlan) -> pd.DataFrame:
    """The round over the four weeks of the cycle: one row per week and working day, the morning and
    afternoon stops (a fortnightly round's week A falls in weeks 1 and 3, week B in weeks 2 and 4)."""
    stops = plan.stops
    rows = []
    for week in range(CYCLE_WEEKS):
        letter = "AB"[week % 2] if plan.options.weeks == 2 else ""
        today = stops[stops["week"] == letter] if letter else stops
        for day_index in sorted(today["day_index"].unique()):
            day = today[today["day_index"] == day_index]
            cell = {half: " ; ".join(f"{r.name} ({_clock(r.start)}-{_clock(r.end)})"
                                     for r in day[day["half_day"] == half].itertuples()) for half in ("am", "pm")}
            rows.append({"Semaine du cycle": f"{week + 1} ({'impaire' if week % 2 == 0 else 'paire'})"
                         + (f", semaine {letter}" if letter else ""), "Jour": day["day"].iloc[0],
                         "Matin": cell["am"] or "—", "Après-midi": cell["pm"] or "—"})
    return pd.DataFrame(rows, columns=["Semaine du cycle", "Jour", "Matin", "Après-midi"])


def _clock(minute: int) -> str:
    hour, rest = divmod(int(minute), 60)
    return f"{hour}h{rest:02d}" if rest else f"{hour}h"


def stops_frame(plan: TourPlan) -> pd.DataFrame:
    """The stops as planners read them, French headers."""
    s = plan.stops
    return pd.DataFrame({
        "Ordre": s["order"], "Semaine": s["week"].replace("", "chaque semaine"), "Horaires": s["hours_fr"],
        "Lieu": s["name"], "Commune": s["commune"], "Horaires OSM": s["hours_osm"],
        "Trajet depuis la base (min)": s["drive_from_base_min"], "Retour à la base (min)": s["drive_to_base_min"],
        "Nouveaux habitants à portée": s["population_newly_covered"],
        "Habitants dont c'est l'arrêt le plus proche": s["population_nearest"],
        "dont non couverts auparavant": s["population_nearest_uncovered"],
        "Communes servies": s["communes_served"], "Longitude": s["lon"], "Latitude": s["lat"]})


def tour_rows(plan: TourPlan) -> list[tuple[str, object, str, str]]:
    """The round's headline figures: (Indicateur, Valeur, kind, Définition)."""
    o = plan.options
    t = fmt_num(plan.threshold_min)
    return [
        ("Mode des habitants", mode_words(plan.mode), "text", f"seuil {t} min, inclus"),
        ("Demi-journées par semaine", o.half_days, "int", f"arrêts de {fmt_num(o.stop_hours)} h, le matin à 9h, "
         "l'après-midi à 14h" + (" ; tournée sur deux semaines (A, B)" if o.weeks == 2 else "")),
        ("Base de l'équipe", plan.base["name"], "text", "départ et retour chaque jour"
         + (" (lieu existant le plus proche des habitants non couverts)" if plan.base["chosen"] != "asked" else "")),
        ("Population totale", plan.population_total, "pop", ""),
        ("Couverts avant la tournée", plan.population_covered_before, "pop", TOUR_DEFINITIONS[
            "population_covered_before"]),
        ("Couverts avec la tournée", plan.population_covered_after, "pop", "arrêts comptés comme lieux ouverts à "
         "leurs horaires"),
        ("Nouveaux habitants à portée", plan.objective, "pop", "l'objectif maximisé"),
        ("Part couverte avant", plan.population_covered_before / plan.population_total, "pct", ""),
        ("Part couverte avec la tournée", plan.population_covered_after / plan.population_total, "pct", ""),
        ("Optimum prouvé", "oui" if plan.optimal else "non", "text", plan.status),
        ("Écart à l'optimum", plan.gap, "pct2", "(borne - objectif) / borne"),
        ("Lieux candidats", plan.candidates_used, "int", f"dont {fmt_int(plan.candidates_reachable)} à moins de "
         f"{fmt_num(o.max_drive_min)} min de la base (aller et retour)"),
        ("Route de l'équipe (min par semaine)", float(plan.routes["drive_min"].sum()) / o.weeks, "min",
         "base → arrêts du jour → base"),
    ]


def tour_tables(plan: TourPlan, wait_before: WaitReport | None = None, wait_after: WaitReport | None = None,
                record=None) -> dict[str, Table]:
    """The workbook of a round: « Tournée » (figures), « Emploi du temps » (the four weeks of the cycle),
    « Arrêts », « Attente » (before and after, when known), « Paramètres du calcul »."""
    rows = tour_rows(plan)
    tables = {"Tournée": Table(pd.DataFrame([(r[0], r[1], r[3]) for r in rows],
                                            columns=["Indicateur", "Valeur", "Définition"]),
                               {"Indicateur": "text", "Définition": "text"}, row_kinds=[r[2] for r in rows]),
              "Emploi du temps": Table(cycle_schedule(plan), {}),
              "Arrêts": Table(stops_frame(plan), {"Ordre": "int", "Trajet depuis la base (min)": "min",
                                                  "Retour à la base (min)": "min", "Nouveaux habitants à portée": "pop",
                                                  "Habitants dont c'est l'arrêt le plus proche": "pop",
                                                  "dont non couverts auparavant": "pop", "Longitude": "deg",
                                                  "Latitude": "deg"})}
    if wait_before is not None and wait_after is not None:
        before, after = wait_rows(wait_before), wait_rows(wait_after)
        frame = pd.DataFrame([(b[0], b[1], a[1], b[3]) for b, a in zip(before, after)],
                             columns=["Indicateur", "Avant la tournée", "Avec la tournée", "Définition"])
        tables["Attente"] = Table(frame, {"Indicateur": "text", "Définition": "text"}, row_kinds=[b[2] for b in before],
                                  value_columns=("Avant la tournée", "Avec la tournée"))
    if record is not None:
        tables["Paramètres du calcul"] = record_table(record)
    return tables


def write_tour_xlsx(plan: TourPlan, path: str | Path, wait_before: WaitReport | None = None,
                    wait_after: WaitReport | None = None, record=None) -> None:
    """Write the round's workbook atomically (:func:`tour_tables`)."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, table in tour_tables(plan, wait_before, wait_after, record).items():
        _write_sheet(wb.create_sheet(name), table)
    wb.properties.title = "Présence hors les murs — tournée d'une équipe mobile"
    wb.properties.creator = "access30"
    buffer = io.BytesIO()
    wb.save(buffer)
    with atomic_path(path) as tmp:
        tmp.write_bytes(buffer.getvalue())


# --------------------------------------------------------------------------------------------
# The PDF


def tour_map_png(plan: TourPlan, study: Study, width_px: int = 1600) -> bytes:
    """A map of the round: the cells it serves (newly covered darker), the team's routes, the stops
    numbered, the base."""
    fig, ax = plt.subplots(figsize=(8, 6.4), dpi=width_px / 8)
    outlines = study.outlines
    if outlines is not None:
        outlines.to_crs("EPSG:4326").boundary.plot(ax=ax, color="#BBBBBB", linewidth=0.4)
    layers = tour_layers(plan, study)
    served = layers.get("carreaux_servis")
    if served is not None:
        served = served.to_crs("EPSG:4326")
        for flag, color in ((0, "#BFD7EA"), (1, "#E07B39")):
            part = served[served["newly_covered"] == flag]
            if len(part):
                part.plot(ax=ax, color=color, linewidth=0)
    routes = layers["trajets_equipe"]
    if len(routes):
        routes.plot(ax=ax, color="#1F4E79", linewidth=1.0)
    stops = plan.stops
    ax.scatter(stops["lon"], stops["lat"], s=60, color="#1F4E79", edgecolor="white", zorder=5)
    for r in stops.itertuples():
        ax.annotate(str(r.order), (r.lon, r.lat), xytext=(4, 4), textcoords="offset points", fontsize=8,
                    color="#1F4E79", weight="bold")
    ax.scatter([plan.base["lon"]], [plan.base["lat"]], marker="*", s=180, color="#B00020", zorder=6)
    ax.set_axis_off()
    ax.set_aspect(1 / np.cos(np.radians(float(stops["lat"].mean()) if len(stops) else 45.0)))
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def tour_story(plan: TourPlan, study: Study, wait_before: WaitReport | None, wait_after: WaitReport | None,
               st: dict, map_png: bytes | None = None) -> list:
    """The part « Présence hors les murs » as ReportLab flowables."""
    o = plan.options
    t = fmt_num(plan.threshold_min)
    mode = mode_words(plan.mode)
    story: list = [_p("Présence hors les murs", st["title"]),
                   _p(escape(f"{study.label} — tournée d'une équipe mobile, {o.half_days} demi-journées par semaine"
                             + (" sur deux semaines (A et B)" if o.weeks == 2 else "")), st["subtitle"])]
    story.append(_p(escape(
        f"Les arrêts sont choisis pour mettre le plus d'habitants à {t}\u00a0min ou moins {mode} (seuil inclus) "
        "d'un lieu d'accueil ouvert au moins une fois sur quatre semaines. L'équipe part de sa base et y revient "
        f"chaque jour en voiture (au plus {fmt_num(o.max_drive_min)}\u00a0min dans chaque sens) ; l'arrêt du matin "
        f"(9h, {fmt_num(o.stop_hours)}\u00a0h) et celui de l'après-midi (14h) sont à au plus "
        f"{fmt_num(min(o.midday_drive_min, 300 - o.stop_hours * 60))}\u00a0min l'un de l'autre. "
        f"Base : {plan.base['name']}."), st["base"]))
    proven = ("optimum prouvé (HiGHS)" if plan.optimal
              else f"optimum NON prouvé : écart d'au plus {fmt_pct(plan.gap, 2, NBSP)} ({plan.status})")
    rows = [["Habitants à portée d'un lieu ouvert au moins une fois sur le cycle", "Nombre", "Part"],
            ["avant la tournée", fmt_int(plan.population_covered_before, NBSP),
             fmt_pct(plan.population_covered_before / plan.population_total, 1, NBSP)],
            ["avec la tournée", fmt_int(plan.population_covered_after, NBSP),
             fmt_pct(plan.population_covered_after / plan.population_total, 1, NBSP)],
            [f"nouveaux habitants à portée ({proven})", fmt_int(plan.objective, NBSP), ""]]
    story.append(_table(rows, [110 * mm, 32 * mm, 26 * mm], st, {1, 2}))
    story.append(_p("Emploi du temps sur les quatre semaines du cycle", st["h2"]))
    schedule = cycle_schedule(plan)
    story.append(_table([list(schedule.columns)] + schedule.astype(str).values.tolist(),
                        [w * mm for w in (42, 18, 57, 57)], st))
    story.append(CondPageBreak(50 * mm))
    story.append(_p("Les arrêts et les habitants qu'ils servent", st["h2"]))
    story.append(_p(escape(
        "Nouveaux : habitants que l'arrêt met à portée en plus des arrêts qui le précèdent. Plus proche : habitants à "
        f"portée de la tournée dont c'est l'arrêt le plus proche ({mode}), dont non couverts auparavant. Route : "
        "minutes de voiture depuis la base."), st["small"]))
    rows = [["N°", "Quand", "Lieu", "Route", "Nouveaux", "Plus proche (non couverts)", "Communes servies"]]
    for r in plan.stops.itertuples():
        rows.append([str(r.order), r.hours_fr, f"{r.name} ({r.commune})", fmt_dec(r.drive_from_base_min, 0, NBSP),
                     fmt_int(r.population_newly_covered, NBSP),
                     f"{fmt_int(r.population_nearest, NBSP)} ({fmt_int(r.population_nearest_uncovered, NBSP)})",
                     r.communes_served])
    story.append(_table(rows, [w * mm for w in (8, 30, 36, 12, 18, 26, 44)], st, {0, 3, 4, 5}))
    if map_png is not None:
        story.append(CondPageBreak(120 * mm))
        story.append(_p("Carte de la tournée", st["h2"]))
        story.append(Image(io.BytesIO(map_png), width=150 * mm, height=120 * mm, kind="proportional"))
        story.append(_p(escape("Orange : habitants mis à portée par la tournée ; bleu clair : habitants à portée d'un "
                               "arrêt déjà couverts par un lieu existant ; traits : trajets de l'équipe sur le réseau "
                               "routier ; étoile : la base ; numéros : ordre des arrêts."), st["small"]))
    if wait_before is not None and wait_after is not None:
        story.append(CondPageBreak(70 * mm))
        story += wait_part(wait_before, st, "Attente d'une ouverture — lieux existants", shown=5)
        story += wait_part(wait_after, st, "Attente d'une ouverture — avec la tournée", shown=5)
    if plan.notices:
        story.append(_p("À savoir", st["h2"]))
        story += [_p(escape(f"• {notice.message}"), st["small"]) for notice in plan.notices]
    return story


def tour_pdf_bytes(plan: TourPlan, study: Study, wait_before: WaitReport | None = None,
                   wait_after: WaitReport | None = None, report_date: date | None = None,
                   map_png: bytes | None = None) -> bytes:
    """The PDF « Présence hors les murs » as bytes (:func:`tour_story`, with its map)."""
    _register_fonts()
    day = report_date or date.today()
    st = _styles()
    png = map_png if map_png is not None else tour_map_png(plan, study)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
                            bottomMargin=18 * mm, title=f"Présence hors les murs — {study.label}", author="access30",
                            lang="fr-FR")
    doc.build(tour_story(plan, study, wait_before, wait_after, st, png),
              canvasmaker=_numbered_canvas(f"access30 — {study.label} — {fr_date(day)}"))
    return buffer.getvalue()


def write_tour_pdf(plan: TourPlan, study: Study, path: str | Path, wait_before: WaitReport | None = None,
                   wait_after: WaitReport | None = None, report_date: date | None = None) -> None:
    """Write the PDF « Présence hors les murs » atomically."""
    data = tour_pdf_bytes(plan, study, wait_before, wait_after, report_date)
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
