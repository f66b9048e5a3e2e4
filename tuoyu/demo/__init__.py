"""Demo data: the seeded history of Mentougou (generator) and a synthetic load stream (synthetic)."""

from tuoyu.demo.generator import DemoEvent, generate

__all__ = ["DemoEvent", "generate"]
