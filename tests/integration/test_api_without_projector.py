def test_without_the_embedded_projector_the_api_records_and_reads_by_replay_and_exports_no_kpi_series(store_settings):
    """The distributed deployment: Faust workers export the KPI series; the API must not double them."""
    from fastapi.testclient import TestClient

    from tuoyu.service.http.app import create_app
    from tuoyu.service.tokens import create_token
    from tuoyu.service.wiring import open_platform

    platform = open_platform(store_settings, project=False)
    token = create_token(platform.tokens, "admin")[1]
    h = {"Authorization": f"Bearer {token}"}
    try:
        with TestClient(create_app(platform)) as c:
            r = c.post(
                "/api/events",
                json={
                    "event_id": "a1",
                    "type": "InstitutionFiled",
                    "occurred_at": "2024-01-02T09:00:00+08:00",
                    "institution_id": "A",
                    "name": "甲",
                    "township": "dayu",
                    "kind": "community",
                    "slots": 20,
                    "inclusive": True,
                },
                headers=h,
            )
            assert r.status_code == 201
            assert c.get("/api/kpi", headers=h).json()["district"]["slots_total"] == 20
            assert len(c.get("/api/registry").json()["features"]) == 1
            m = c.get("/metrics").text
            assert "childcare_events_recorded 2.0" in m and "childcare_slots{" not in m
            assert c.get("/healthz").json()["projection_lag"] is None
    finally:
        platform.close()
