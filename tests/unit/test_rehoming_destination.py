"""ChildrenRehomed names where the children go: a filed, operating institution other than the
one they leave (issue 12: `to_institution_id` was never checked)."""

from __future__ import annotations

from tests.support.builders import assert_problem, closed, enrolled, filed, in_memory_app, record, rehomed, rejected


def test_children_are_rehomed_only_into_a_filed_operating_institution():
    app = in_memory_app()
    record(app, filed("A"), filed("SHUT"), enrolled("A", 6), closed("A"), closed("SHUT", emergency=False))
    for destination, says in (
        ("NOPE", ["NOPE is not filed"]),
        ("SHUT", ["SHUT is closed"]),
        ("A", ["the institution they leave"]),
    ):
        problem = rejected(app, [rehomed("A", 2, to_institution_id=destination)])
        assert_problem(problem, index=0, field="to_institution_id", says=says)
    record(app, filed("B"), rehomed("A", 2, to_institution_id="B"))
    assert app.position() == 7
