"""The subsystems of the platform's monitoring, each one module giving its recording rules, its
alerts and its dashboard panels (in the manner of kubernetes-mixin).

A subsystem module has:
- `NAME`: its rule file is alerts/generated/rules/NAME.rules.yml, tested by alerts/tests/NAME.test.yml;
- `records(config)`: its recording rules (`Record`, named level:metric:operation);
- `alerts(config)`: its alerts (`Alert`), each with a section in docs/runbook.md;
- `panels(config)`: dashboard uid -> the panels it places on that dashboard (grid positions its own).

Adding one (docs/alerting.md, "Adding a subsystem"): write the module, add it to SUBSYSTEMS, write
its promtool tests and runbook sections, `make generate`.
"""

from __future__ import annotations

from types import ModuleType

from tuoyu.dashboards.subsystems import capacity, closures, oncall, pipeline, supervision, targets

SUBSYSTEMS: tuple[ModuleType, ...] = (capacity, targets, closures, supervision, pipeline, oncall)
