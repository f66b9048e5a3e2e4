"""The schema's `pattern`s as ECMA-262 (JSON Schema's regular expressions) reads them.

fastjsonschema and jsonschema both check a `pattern` with Python's `re.search`, where `$` also
matches before a final newline: "MTG-0001\\n" passes `^[A-Za-z0-9…]{0,63}$`. ECMA-262's `$`
(without the multiline flag) matches only at the end of the input, which is Python's `\\Z`.
"""

from __future__ import annotations

from typing import Any


def python_patterns(node: Any) -> Any:
    """A copy of the schema (or part of it) with each `pattern` rewritten for Python's re."""
    if isinstance(node, dict):
        return {
            k: _ecma_end_anchors(v) if k == "pattern" and isinstance(v, str) else python_patterns(v)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [python_patterns(v) for v in node]
    return node


def _ecma_end_anchors(pattern: str) -> str:
    """Each `$` outside a character class and not escaped becomes `\\Z`."""
    out, in_class, escaped = [], False, False
    for character in pattern:
        if escaped:
            escaped = False
        elif character == "\\":
            escaped = True
        elif in_class:
            in_class = character != "]"
        elif character == "[":
            in_class = True
        elif character == "$":
            character = r"\Z"
        out.append(character)
    return "".join(out)


def contract_pattern(python_pattern: str) -> str:
    """The pattern as the contract writes it, for messages (the contract's patterns hold no `\\Z`)."""
    return python_pattern.replace(r"\Z", "$")
