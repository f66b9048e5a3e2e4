"""What the relay publishes (tuoyu.streams.messages): one message per key per round, facts in
recorded order, cut below the broker's message size limit."""

from __future__ import annotations

import orjson

from tests.unit.stream_facts import facts_of
from tuoyu.projections.facts import partition_of
from tuoyu.streams import messages
from tuoyu.streams.messages import decode, messages_of


def test_a_round_becomes_one_message_per_key_holding_its_facts_in_recorded_order():
    facts = facts_of(300)
    sent = list(messages_of(facts))
    assert len(sent) == len({partition_of(f) for f in facts})
    for key, value, headers in sent:
        body = decode(value)
        assert key.decode() == body["key"]
        assert body["facts"] == [f for f in facts if partition_of(f) == body["key"]]
        assert (body["first"], body["last"]) == (body["facts"][0]["position"], body["facts"][-1]["position"])
        assert dict(headers) == {"first": str(body["first"]).encode(), "last": str(body["last"]).encode(),
                                 "count": str(len(body["facts"])).encode()}


def test_a_message_is_cut_at_max_facts_and_max_bytes(monkeypatch):
    recorded = facts_of(600)
    facts = [f for f in recorded if partition_of(f) == partition_of(recorded[0])]
    monkeypatch.setattr(messages, "MAX_FACTS", 10)
    cut = [decode(v)["facts"] for _, v, _ in messages_of(facts)]
    assert all(len(c) <= 10 for c in cut) and [f for c in cut for f in c] == facts
    monkeypatch.setattr(messages, "MAX_FACTS", 10_000)
    monkeypatch.setattr(messages, "MAX_BYTES", 2000)
    sent = list(messages_of(facts))
    assert all(len(v) < 2000 + 200 for _, v, _ in sent) and len(sent) > 1
    assert [f for _, v, _ in sent for f in decode(v)["facts"]] == facts


def test_the_value_is_the_json_the_worker_decodes():
    facts = facts_of(5)
    [(_, value, _)] = [m for m in messages_of(facts[:1])]
    assert orjson.loads(value) == {"key": partition_of(facts[0]), "first": 1, "last": 1, "facts": facts[:1]}
