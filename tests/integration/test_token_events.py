"""Who may write, in the record: token grants and revocations are events in the chain (who,
role, when, by whom), the token table is a view of them, and names are of a safe character set."""

from __future__ import annotations

import orjson
import pytest

from tests.integration.audit_helpers import Tables, run, verdict


def token_events(tables: Tables) -> list[dict]:
    rows = tables.execute(f"SELECT state FROM {tables.events} ORDER BY {tables.position}")
    return [orjson.loads(bytes(row[0])) for row in rows]


def test_grants_and_revocations_are_events_in_the_audit_trail(store_settings, store_env, monkeypatch, capsys):
    code, out, err = run(
        store_env, monkeypatch, capsys, "token", "create", "--role", "township:dayu", "--name", "dayu-officer-1"
    )
    assert code == 0, err
    token = out.strip().splitlines()[-1]
    assert run(store_env, monkeypatch, capsys, "token", "revoke", "dayu-officer-1")[0] == 0
    tables = Tables(store_settings)
    granted, revoked = token_events(tables)
    assert (granted["event"]["type"], granted["event"]["role"]) == ("TokenGranted", "township:dayu")
    assert token not in str(granted) and len(granted["event"]["token_digest"]) == 64  # only its digest
    assert sorted(granted["personal"]) == ["event.name", "recorded_by"]  # who, by whom: held apart
    assert revoked["event"]["type"] == "TokenRevoked"
    assert verdict(store_env, monkeypatch, capsys)[0] == 0  # chained like every event
    code, out, _ = run(store_env, monkeypatch, capsys, "token", "list")
    assert "dayu-officer-1" in out and "已吊销" in out


def test_the_token_table_is_a_view_of_the_token_events(store_settings, store_env, monkeypatch, capsys):
    run(store_env, monkeypatch, capsys, "token", "create", "--role", "auditor", "--name", "auditor-1")
    tables = Tables(store_settings)
    view = tables.execute("SELECT name, role, revoked_at FROM tuoyu_token_view")
    assert view == [("auditor-1", "auditor", None)]
    tables.execute("DELETE FROM tuoyu_token_view")  # gone from the table, the grant is still recorded
    assert [e["event"]["type"] for e in token_events(tables)] == ["TokenGranted"]


@pytest.mark.parametrize("name", ["mallory (admin)", "张三", "a b", ".leading-dot", "x" * 65, "new\nline"])
def test_a_token_name_outside_the_safe_character_set_is_refused(store_settings, store_env, monkeypatch, capsys, name):
    code, _, err = run(store_env, monkeypatch, capsys, "token", "create", "--role", "admin", "--name", name)
    assert code == 2 and "letters, digits" in err
    assert Tables(store_settings).execute(f"SELECT COUNT(*) FROM {Tables(store_settings).events}")[0][0] == 0
