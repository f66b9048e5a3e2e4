"""The township map: geomap markers placed by a gazetteer generated from townships.json.

How it works in Grafana (10 and 11): a geomap layer in "lookup" location mode takes a field
of the data (here the `township` label of instant table queries) and looks each value up in
a gazetteer, a JSON file Grafana fetches from its own web server. The legacy worldmap format,
a list of {"key", "keys", "latitude", "longitude", "name"}, is what Grafana's loader
recognises; docker-compose.yml mounts the generated file into Grafana's static directory
(public/gazetteer/), next to the built-in countries.json. No plugin, no extra datasource, and
no coordinates in PromQL.
"""

from __future__ import annotations

import json
from typing import Any

from grafana_foundation_sdk.builders import common as cb
from grafana_foundation_sdk.builders import geomap
from grafana_foundation_sdk.models import common as cm
from grafana_foundation_sdk.models import dashboard as dm
from grafana_foundation_sdk.models import geomap as gm

from tuoyu.dashboards.panels import DATASOURCE, mapped, query, thresholds
from tuoyu.dashboards.promql import (
    SLOTS,
    STATUS_COLOURS,
    STATUS_NAMES,
    TOWNSHIP_NAMES,
    TOWNSHIP_STATUS,
)
from tuoyu.domain.catalogue import TOWNSHIPS

GAZETTEER_FILE = "mentougou-townships.json"
GAZETTEER_PATH = f"public/gazetteer/{GAZETTEER_FILE}"  # as Grafana requests it
CONTAINER_PATH = f"/usr/share/grafana/{GAZETTEER_PATH}"  # where the official image serves it from
# The middle of the townships' bounding box, and a zoom at which its 52 km from west to east
# take about 600 px (about 90 m a pixel), leaving room for the labels on the wall's 10-column panel.
CENTRE = (
    (min(t.lat for t in TOWNSHIPS) + max(t.lat for t in TOWNSHIPS)) / 2,
    (min(t.lon for t in TOWNSHIPS) + max(t.lon for t in TOWNSHIPS)) / 2,
)
ZOOM = 10.4


def _centre_view() -> geomap.MapViewConfig:
    # The stub is wrong: grafana-foundation-sdk's builders are generated from the geomap panel's
    # panelcfg.cue, which declares lat, lon and zoom int64, but Grafana keeps them as decimals
    # (its MapViewEditor.tsx saves lat and lon to 6 digits, zoom to 2) and reads ours as given.
    view = geomap.MapViewConfig().id("coords")
    return view.lat(round(CENTRE[0], 4)).lon(round(CENTRE[1], 4)).zoom(ZOOM)  # type: ignore[arg-type]


def gazetteer() -> list[dict[str, Any]]:
    """One point per township at its centroid, found by id or Chinese name."""
    return [
        {"key": t.id, "keys": [t.id, t.name_zh], "latitude": t.lat, "longitude": t.lon, "name": t.name_zh}
        for t in TOWNSHIPS
    ]


def gazetteer_json() -> str:
    return json.dumps(gazetteer(), ensure_ascii=False, indent=2) + "\n"


def _markers() -> cb.MapLayerOptions:
    """The township layer: one marker per township centroid, looked up in the gazetteer by name."""
    return (
        cb.MapLayerOptions()
        .type("markers")
        .name("镇街")
        .tooltip(True)
        .location(
            cb.FrameGeometrySource().mode(cm.FrameGeometrySourceMode.LOOKUP).lookup("镇街").gazetteer(GAZETTEER_PATH)
        )
        .config(
            {
                "showLegend": True,
                "style": {
                    "size": {"field": "托位数", "min": 8, "max": 40, "fixed": 10},
                    "color": {"field": "状态", "fixed": "green"},
                    "opacity": 0.75,
                    "symbol": {"mode": "fixed", "fixed": "img/icons/marker/circle.svg"},
                    "text": {"mode": "field", "field": "镇街", "fixed": ""},
                    "textConfig": {"fontSize": 14, "offsetY": -22, "textAlign": "center", "textBaseline": "middle"},
                },
            }
        )
    )


def township_map(title: str, where: dm.GridPos) -> geomap.Panel:
    """Markers at the township centroids, sized by slots, coloured by status (promql.TOWNSHIP_STATUS)."""
    return (
        geomap.Panel()
        .title(title)
        .datasource(DATASOURCE)
        .grid_pos(where)
        .description(
            "镇街中心位置的标记：大小表示托位数，颜色表示状态（绿：正常；橙：低于托位下限或整改逾期；红：应急关停待安置）。"
        )
        .with_target(query(SLOTS, "A", as_table=True))
        .with_target(query(TOWNSHIP_STATUS, "B", as_table=True))
        .with_transformation(dm.DataTransformerConfig(id_val="merge", options={}))
        .with_transformation(
            dm.DataTransformerConfig(
                id_val="organize",
                options={
                    "includeByName": {"township": True, "Value #A": True, "Value #B": True},
                    "renameByName": {"township": "镇街", "Value #A": "托位数", "Value #B": "状态"},
                },
            )
        )
        .override_by_name("镇街", [mapped(TOWNSHIP_NAMES)])
        .override_by_name(
            "状态",
            [
                mapped(STATUS_NAMES, STATUS_COLOURS),
                dm.DynamicConfigValue(
                    id_val="thresholds", value=thresholds([(None, "green"), (1, "orange"), (2, "red")]).build()
                ),
                dm.DynamicConfigValue(id_val="color", value={"mode": "thresholds"}),
            ],
        )
        .view(_centre_view())
        .controls(geomap.ControlsOptions().show_zoom(True).mouse_wheel_zoom(False))
        .basemap(cb.MapLayerOptions().type("default").name("底图"))
        .layers([_markers()])
        .tooltip(geomap.TooltipOptions().mode(gm.TooltipMode.DETAILS))
    )
