"""The public map (GET /map) in Debian's chromium: one marker and one list row per filed institution of
/api/registry, filters that change both as the registry says, and configured tiles drawn under them."""

from __future__ import annotations

import struct
import threading
import time
import zlib
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.browser.conftest import open_page
from tests.browser.live import serving
from tuoyu.domain.catalogue import TOWNSHIP_BY_ID
from tuoyu.service.http.app import create_app

pytestmark = pytest.mark.browser
MARKERS = '#map [data-marker="institution"]'
ROWS = "#list tbody tr[data-institution-id]"


def open_map(page, base: str, query: str = ""):
    page.goto(f"{base}/map{query}")
    page.wait_for_selector('body[data-loaded="true"]')
    return page


def shown_ids(page) -> tuple[list[str], list[str]]:
    markers = page.eval_on_selector_all(MARKERS, "nodes => nodes.map(n => n.dataset.institutionId)")
    rows = page.eval_on_selector_all(ROWS, "nodes => nodes.map(n => n.dataset.institutionId)")
    return sorted(markers), sorted(rows)


def expected_ids(features, township: str = "", kind: str = "", inclusive: str = "") -> list[str]:
    return sorted(
        f["properties"]["institution_id"]
        for f in features
        if (not township or f["properties"]["township"] == township)
        and (not kind or f["properties"]["kind"] == kind)
        and (not inclusive or f["properties"]["inclusive"] == (inclusive == "yes"))
    )


def choose(page, township: str = "", kind: str = "", inclusive: str = "") -> None:
    page.select_option("#filter-township", township)
    page.select_option("#filter-kind", kind)
    page.select_option("#filter-inclusive", inclusive)


def test_every_filed_institution_has_one_marker_and_one_row(page, service):
    features = service.registry()
    open_map(page, service.base)
    markers, rows = shown_ids(page)
    assert markers == rows == expected_ids(features) and len(features) >= 30
    assert page.get_attribute("#summary", "data-count") == str(len(features))
    assert page.locator("#map [data-township]").count() - len(features) == 13, "one marker per township"
    assert "门头沟区" in page.text_content("#map")


def test_filtering_by_township_kind_and_inclusive_status_shows_what_the_registry_says(page, service):
    features = service.registry()
    open_map(page, service.base)
    busiest = Counter(f["properties"]["township"] for f in features).most_common(1)[0][0]
    kind = Counter(f["properties"]["kind"] for f in features).most_common(1)[0][0]
    for township, kind_, inclusive in [
        (busiest, "", ""),
        ("", kind, ""),
        ("", "", "yes"),
        ("", "", "no"),
        (busiest, kind, ""),
        (busiest, "", "no"),
        ("miaofengshan", "employer", "yes"),
        ("", "", ""),
    ]:
        choose(page, township, kind_, inclusive)
        expected = expected_ids(features, township, kind_, inclusive)
        markers, rows = shown_ids(page)
        assert markers == rows == expected, (township, kind_, inclusive)
        assert page.get_attribute("#summary", "data-count") == str(len(expected))
        if not expected:
            assert "没有符合条件的机构" in page.text_content("#list tbody")


def test_the_list_is_in_chinese_and_the_filters_are_kept_in_the_address(page, service):
    features = service.registry()
    inclusive = [f for f in features if f["properties"]["inclusive"]]
    open_map(page, service.base, "?inclusive=yes")
    assert shown_ids(page)[1] == expected_ids(features, inclusive="yes")
    first = page.locator(ROWS).first
    cells = first.locator("td").all_text_contents()
    feature = next(
        f for f in inclusive if f["properties"]["institution_id"] == first.get_attribute("data-institution-id")
    )
    assert cells[1] == TOWNSHIP_BY_ID[feature["properties"]["township"]].name_zh
    assert cells[2] == feature["properties"]["kind_zh"] and cells[4] == "✔ 普惠"
    page.select_option("#filter-township", "dayu")
    assert "township=dayu" in page.url and "inclusive=yes" in page.url
    page.reload()
    page.wait_for_selector('body[data-loaded="true"]')
    assert page.input_value("#filter-township") == "dayu"
    assert shown_ids(page)[0] == expected_ids(features, "dayu", inclusive="yes")


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x30\x50\x30" * 256 for _ in range(256))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 256, 256, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def test_configured_tiles_are_drawn_under_the_markers(browser, service):
    from tests.support.ports import free_port

    tile, asked = _png(), []

    class Tiles(BaseHTTPRequestHandler):
        def do_GET(self):
            asked.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            self.wfile.write(tile)

        def log_message(self, *args):
            pass

    tiles = ThreadingHTTPServer(("127.0.0.1", 0), Tiles)
    threading.Thread(target=tiles.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{tiles.server_port}/{{z}}/{{x}}/{{y}}.png"
    try:
        with serving(create_app(service.platform, map_tile_url=url), free_port(), lifespan="off") as base:
            page = open_page(browser, base)
            try:
                open_map(page, base)
                page.wait_for_selector("#map image.tile", state="attached")
                zoom = int(page.get_attribute("#map .tiles", "data-tile-zoom"))
                drawn = set(page.eval_on_selector_all("#map image.tile", "nodes => nodes.map(n => n.dataset.tile)"))
                # (waited for from here: a polled page function would need eval, which the page's policy forbids)
                deadline = time.monotonic() + 10
                while page.evaluate(f"""() => performance.getEntriesByType('resource')
                        .filter(e => e.name.includes(':{tiles.server_port}/')).length""") < len(drawn):
                    assert time.monotonic() < deadline, "the tiles were not fetched"
                    time.sleep(0.1)
                # The tile under the district's seat (大峪街道) is among those drawn and fetched.
                import math

                dayu = TOWNSHIP_BY_ID["dayu"]
                n = 2**zoom
                x = int((dayu.lon + 180) / 360 * n)
                y = int((1 - math.asinh(math.tan(math.radians(dayu.lat))) / math.pi) / 2 * n)
                assert f"{zoom}/{x}/{y}" in drawn and f"/{zoom}/{x}/{y}.png" in asked
                assert 8 <= zoom <= 14
                # ... and drawn where 大峪街道's marker stands.
                box = page.eval_on_selector(
                    f'#map image[data-tile="{zoom}/{x}/{y}"]',
                    """n => [n.x.baseVal.value,
                    n.y.baseVal.value, n.width.baseVal.value]""",
                )
                at = page.eval_on_selector(
                    '#map g.township[data-township="dayu"]',
                    """n => [
                    n.transform.baseVal[0].matrix.e, n.transform.baseVal[0].matrix.f]""",
                )
                assert box[0] <= at[0] < box[0] + box[2] and box[1] <= at[1] < box[1] + box[2], (box, at)
                assert page.locator(MARKERS).count() == len(service.registry())
                assert {u.split(":")[2].split("/")[0] for u in page.outside} == {str(tiles.server_port)}
                assert page.errors == []
            finally:
                page.context.close()
    finally:
        tiles.shutdown()
        tiles.server_close()
