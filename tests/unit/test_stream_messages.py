"""What the relay publishes (tuoyu.streams.messages): one message per key per round, the stored
states in recorded order exactly as the store holds them (personal values as digests only), cut
below the broker's message size limit; each is keyed by its township as the projections key it."""

from __future__ import annotations

import orjson
import pytest

from tests.unit.stream_facts import facts_of, stored_of
from tuoyu.projections.facts import partition_of
from tuoyu.service.config import Settings
from tuoyu.service.wiring import open_registry
from tuoyu.streams import messages
from tuoyu.streams.messages import decode, key_of, messages_of
from tuoyu.streams.messages import facts_of as facts_in


def test_a_round_becomes_one_message_per_key_holding_its_states_in_recorded_order():
    stored, facts = stored_of(300), facts_of(300)
    sent = list(messages_of(stored))
    assert len(sent) == len({partition_of(f) for f in facts})
    for key, value, headers in sent:
        body = decode(value)
        assert key.decode() == body["key"]
        mine = [(p, s) for p, s in stored if key_of(s) == body["key"]]
        assert body["positions"] == [p for p, _ in mine]
        assert body["states"] == [orjson.loads(s) for _, s in mine]  # as stored, nothing added or taken
        assert facts_in(body) == [f for f in facts if partition_of(f) == body["key"]]
        assert (body["first"], body["last"]) == (body["positions"][0], body["positions"][-1])
        assert dict(headers) == {
            "first": str(body["first"]).encode(),
            "last": str(body["last"]).encode(),
            "count": str(len(body["states"])).encode(),
        }


def test_a_message_is_cut_at_max_facts_and_max_bytes(monkeypatch):
    recorded = stored_of(600)
    stored = [(p, s) for p, s in recorded if key_of(s) == key_of(recorded[0][1])]
    monkeypatch.setattr(messages, "MAX_FACTS", 10)
    cut = [decode(v)["positions"] for _, v, _ in messages_of(stored)]
    assert all(len(c) <= 10 for c in cut) and [p for c in cut for p in c] == [p for p, _ in stored]
    monkeypatch.setattr(messages, "MAX_FACTS", 10_000)
    monkeypatch.setattr(messages, "MAX_BYTES", 2000)
    sent = list(messages_of(stored))
    assert all(len(v) < 2000 + 200 for _, v, _ in sent) and len(sent) > 1
    assert [p for _, v, _ in sent for p in decode(v)["positions"]] == [p for p, _ in stored]


def test_the_value_is_the_json_the_worker_decodes():
    [(position, state)] = stored_of(5)[:1]
    [(_, value, _)] = list(messages_of([(position, state)]))
    assert orjson.loads(value) == {
        "key": key_of(state),
        "first": position,
        "last": position,
        "positions": [position],
        "states": [orjson.loads(state)],
    }


@pytest.mark.parametrize(
    "context, key",
    [
        ({"township": "dayu", "kind": "family"}, "dayu"),
        ({"township": None}, "district"),
        ({}, "district"),
        ({"kind": "family", "township": "wangping"}, "wangping"),  # not first: read by decoding
        ({"township": 'da"yu'}, 'da"yu'),  # an escape: read by decoding
    ],
)
def test_the_key_of_a_state_is_its_context_township_or_the_district(context, key):
    # A member named "context" inside the event (no event has one) is not the state's.
    state = orjson.dumps(
        {
            "schema": 2,
            "event": {"note": '"context":{"township":"x"}', "context": {"township": "y"}},
            "context": context,
            "personal": {"event.note": "ab12"},
        }
    )
    assert key_of(state) == key == partition_of({"context": context})


def test_every_stored_event_of_the_demo_district_is_keyed_as_the_projections_key_it(tmp_path):
    from tests.support.demo import DEMO_NOW, DEMO_TODAY
    from tuoyu import clock
    from tuoyu.demo.loading import record_demo
    from tuoyu.projections.facts import fact_from_stored

    with open_registry(Settings(data_dir=tmp_path, store=f"sqlite:///{tmp_path / 'tuoyu.db'}")) as registry:
        with clock.set_to(DEMO_NOW):
            record_demo(registry, today=DEMO_TODAY)
        stored = registry.recorder.select_states(0, 100_000)
    assert len(stored) > 3000
    assert [key_of(s) for _, s in stored] == [partition_of(fact_from_stored(p, s)) for p, s in stored]


def test_no_personal_value_leaves_the_store(tmp_path):
    """Kafka keeps every record: the relay's messages hold the digests, never the values, which
    `tuoyu audit redact` must be able to erase (docs/personal-data.md)."""
    event = {
        "event_id": "p-1",
        "type": "InstitutionFiled",
        "occurred_at": "2025-01-02T09:00:00+08:00",
        "institution_id": "P-1",
        "name": "小树苗托育",
        "township": "dayu",
        "kind": "private",
        "slots": 20,
        "inclusive": False,
        "address": "门头沟区新桥大街甲1号",
        "operator": "张三",
        "note": "联系电话 13800000000",
    }
    with open_registry(Settings(data_dir=tmp_path, store=f"sqlite:///{tmp_path / 'tuoyu.db'}")) as registry:
        registry.record([event], "李四")
        stored = registry.recorder.select_states(0, 10)
    [(_, value, _)] = list(messages_of(stored))
    text = value.decode()
    for personal in ("门头沟区新桥大街甲1号", "张三", "13800000000", "李四"):
        assert personal not in text
    [fact] = facts_in(decode(value))
    assert fact["event"]["name"] == "小树苗托育" and set(fact["personal"]) >= {"event.address", "event.operator"}
