"""The wall page's and the map's settings: where Prometheus is, which tiles to draw."""

from __future__ import annotations

import pytest

from tuoyu.service.config import ConfigError, settings_from_env
from tuoyu.service.http.pages import _origin


def test_without_settings_the_wall_has_no_prometheus_and_the_map_no_tiles(tmp_path):
    settings = settings_from_env({"TUOYU_DATA_DIR": str(tmp_path)})
    assert settings.prometheus_url is None and settings.map_tile_url is None


def test_the_prometheus_url_and_the_tile_url_come_from_the_environment(tmp_path):
    settings = settings_from_env(
        {
            "TUOYU_DATA_DIR": str(tmp_path),
            "TUOYU_PROMETHEUS_URL": "http://prom:9090/",
            "TUOYU_MAP_TILE_URL": "https://tile.example/{z}/{x}/{y}.png",
        }
    )
    assert settings.prometheus_url == "http://prom:9090"
    assert settings.map_tile_url == "https://tile.example/{z}/{x}/{y}.png"


def test_a_tile_url_without_z_x_and_y_is_refused_with_an_example(tmp_path):
    with pytest.raises(ConfigError, match=r"\{z\}, \{x\} and \{y\}.*tile.example"):
        settings_from_env({"TUOYU_DATA_DIR": str(tmp_path), "TUOYU_MAP_TILE_URL": "https://tile.example/{z}.png"})


@pytest.mark.parametrize(
    "url, origin",
    [
        ("https://a.example:8443/{z}/{x}/{y}.png", "https://a.example:8443"),
        ("http://127.0.0.1:9/{z}/{x}/{y}", "http://127.0.0.1:9"),
        ("/tiles/{z}/{x}/{y}.png", None),
        (None, None),
    ],
)
def test_the_map_allows_images_from_the_tile_server_origin_only(url, origin):
    assert _origin(url) == origin


def test_a_missing_browser_is_reported_with_how_to_install_it(monkeypatch):
    """The browser tests fail (not skip) with this message when chromium is not installed."""
    from tests.browser import live

    monkeypatch.setattr(live, "CHROMIUM", "/nonexistent/chromium")
    monkeypatch.setenv("PATH", "/nonexistent")
    assert "make test" in live.chromium_problem() and "apt-get install chromium" in live.chromium_problem()
