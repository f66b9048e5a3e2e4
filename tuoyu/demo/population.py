"""The demo district's resident population, reported every March for the year before by the
district statistics bureau (统计调查制度, 保障措施四): the district and each township.

The 2022 figures start from the district's about 396,000 residents (townships.json) spread
over the townships roughly as people live in Mentougou: most in the valley (Yongding,
Dayu, Longquan, Chengzi), few in the mountain towns of the west. They are illustrative
shares, not census counts. The valley grows a little with new housing, the mountain towns
shrink; the district is the sum of its townships. Children under three are about 1.75% of
residents in 2022, fewer each year as births fall, and fewer in the mountain towns, whose
young families move down to the valley.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time

from tuoyu.demo.log import Log
from tuoyu.demo.roster import VALLEY
from tuoyu.projections.facts import SHANGHAI

FIRST_YEAR = 2022
RESIDENTS_2022 = {
    "yongding": 98_000,
    "dayu": 68_000,
    "longquan": 66_000,
    "chengzi": 52_000,
    "dongxinfang": 26_000,
    "tanzhesi": 24_000,
    "junzhuang": 16_000,
    "zhaitang": 12_500,
    "yanchi": 7_500,
    "qingshui": 7_000,
    "miaofengshan": 7_000,
    "wangping": 6_500,
    "datai": 5_500,
}
# Growing with new housing: the valley and Tanzhesi; every other town is in the mountains.
GROWING = (*VALLEY, "tanzhesi")
UNDER3_SHARE = {2022: 0.0175, 2023: 0.0163, 2024: 0.0154, 2025: 0.0148, 2026: 0.0144}
UNDER3_LATER = 0.0141
UNDER3_WHERE = {"growing": 1.06, "mountain": 0.72}


class Population:
    def __init__(self, rng: random.Random, log: Log) -> None:
        self.rng, self.log = rng, log
        self.residents = dict(RESIDENTS_2022)
        self.year = FIRST_YEAR
        self.report_on = self._report_day(FIRST_YEAR)

    def run(self, day: date) -> None:
        if day == self.report_on:
            self._report(day)
            self._age()
            self.report_on = self._report_day(self.year)

    def _report_day(self, year: int) -> date:
        return date(year + 1, 3, self.rng.randint(12, 26))

    def _report(self, day: date) -> None:
        share = UNDER3_SHARE.get(self.year, UNDER3_LATER)
        under3 = {
            t: round(n * share * UNDER3_WHERE["growing" if t in GROWING else "mountain"])
            for t, n in self.residents.items()
        }
        moment = datetime.combine(day, time(10), SHANGHAI)
        source, note = "区统计局", f"{self.year}年末常住人口（统计公报）"
        self.log.detached(
            moment,
            {
                "type": "PopulationReported",
                "scope": "district",
                "year": self.year,
                "population": sum(self.residents.values()),
                "under3": sum(under3.values()),
                "source": source,
                "note": note,
            },
        )
        for township, residents in self.residents.items():
            self.log.detached(
                moment,
                {
                    "type": "PopulationReported",
                    "scope": township,
                    "year": self.year,
                    "population": residents,
                    "under3": under3[township],
                    "source": source,
                    "note": note,
                },
            )

    def _age(self) -> None:
        """A year on: the valley a little bigger, the mountain towns a little smaller."""
        rng = self.rng
        for township, residents in self.residents.items():
            change = rng.gauss(0.004, 0.002) if township in GROWING else rng.gauss(-0.012, 0.003)
            self.residents[township] = round(residents * (1 + change))
        self.year += 1
