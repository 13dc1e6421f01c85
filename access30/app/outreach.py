"""« Hors les murs » in the app: a mobile team's exact round, drawn, and turned into a scenario to edit.

:func:`tour` plans the round with :func:`access30.suggest.tour.plan_tour`, the function of
``access30 tour`` (same options, same figures), once per study and question (bounded, shared by
the sessions). :func:`as_changes` gives the round's stops as the changes of a scenario (each stop a
hypothetical « point mobile » at its place): the planner then drops a stop (« Fermer un lieu ») or
moves one (drop it, open one at the clicked point) in the scenario panel, and sees the change at
once, with the figures, map and exports of any scenario.
"""

from __future__ import annotations

import html

import folium
import streamlit as st

from access30.base.fmt import fmt_int, fmt_num
from access30.coverage.options import CoverageOptions, RunOptions
from access30.coverage.result import Routing
from access30.inputs.assemble import StudyRequest
from access30.inputs.study import Study
from access30.suggest.tour import STOP_TYPE, TourOptions, TourPlan, plan_tour

#: Rounds kept, every session together.
TOURS = 4


@st.cache_resource(show_spinner=False, max_entries=TOURS)
def tour(study_key: str, request: StudyRequest, threshold: float, ask: TourOptions, _study: Study,
         _routing: Routing) -> TourPlan:
    """The round asked (``access30 tour`` with these options on this study)."""
    return plan_tour(_study, _routing, RunOptions(request, CoverageOptions(threshold_min=float(threshold))), ask)


def as_changes(plan: TourPlan) -> tuple:
    """The round's stops as scenario changes (``("add", lon, lat, name, type)``), in schedule order.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> class Plan:  # hand-made stand-in for a TourPlan with one stop
    ...     stops = gpd.GeoDataFrame({"name": ["Mairie d'Allineuc"], "hours_fr": ["mardi 9h-12h"]},
    ...                              geometry=[Point(-2.87, 48.31)], crs="EPSG:4326")
    >>> as_changes(Plan())[0][3]
    "Permanence – Mairie d'Allineuc (mardi 9h-12h)"
    """
    stops = plan.stops
    return tuple(("add", float(g.x), float(g.y), f"Permanence – {name} ({hours})", STOP_TYPE)
                 for g, name, hours in zip(stops.geometry, stops["name"], stops["hours_fr"]))


def route_layers(plan: TourPlan) -> list[folium.FeatureGroup]:
    """The team's drives along the network (one line a day) and the stops, numbered in schedule order."""
    drives = folium.FeatureGroup(name="Trajets de l'équipe", show=True)
    for _, row in plan.routes.iterrows():
        if row.geometry is None or row.geometry.is_empty:
            continue
        points = [(lat, lon) for lon, lat in row.geometry.coords]
        tip = html.escape(f"{row['day']} {row['week']} : {row['stops']} "
                          f"({fmt_num(round(row['drive_min']))} min de route)")
        folium.PolyLine(points, color="#6a1b9a", weight=3, opacity=0.8, tooltip=tip).add_to(drives)
    stops = folium.FeatureGroup(name="Arrêts de la tournée", show=True)
    for _, row in plan.stops.iterrows():
        tip = html.escape(f"{row['order']}. {row['name']} — {row['hours_fr']} — "
                          f"{fmt_int(row['population_newly_covered'])} hab. nouvellement couverts")
        folium.Marker([row.geometry.y, row.geometry.x], tooltip=tip,
                      icon=folium.DivIcon(html=f'<div style="background:#6a1b9a;color:#fff;border-radius:50%;'
                                               f'width:24px;height:24px;text-align:center;line-height:24px;'
                                               f'font-weight:bold">{int(row["order"])}</div>')).add_to(stops)
    base = folium.FeatureGroup(name="Base de l'équipe", show=True)
    folium.Marker([plan.base["lat"], plan.base["lon"]], tooltip=html.escape(f"Base : {plan.base['name']}"),
                  icon=folium.DivIcon(html='<div style="font-size:22px">🏠</div>')).add_to(base)
    return [drives, stops, base]
