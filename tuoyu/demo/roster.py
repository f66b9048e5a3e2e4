"""The demo district's institutions: who they are, where, how big, and when they are filed.

The roster is written by hand to follow the plan's arithmetic: about 455 slots at the end
of 2023, about 1055 at the end of 2024 (600 new, mostly kindergarten classes opening in
September, and the district centre), a little more later; inclusive (普惠) slots from under
half to above 60%; valley townships hold most slots, mountain towns sit near the 20-slot
floor. The seed varies the details (names, days, fees, a few slots), and one institution
per year absorbs the difference so that the year-end totals stay on the plan.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from tuoyu.domain.catalogue import TOWNSHIP_BY_ID

VALLEY = ("dayu", "chengzi", "yongding", "longquan", "dongxinfang")

# key, township, kind, slots, inclusive, filed between (two ISO days), name, growth (day, +slots).
# Names with {brand} or {community} are filled from the lists below. Keys name the
# institutions the generator's stories are about (generator._stories); recent.py adds one
# filing relative to `today`.
ROWS: tuple[tuple[Any, ...], ...] = (
    # Existing institutions, filed when the registry opened in early 2023.
    (
        "A1",
        "dayu",
        "kindergarten_class",
        40,
        True,
        "2023-01-09",
        "2023-02-24",
        "门头沟区大峪第一幼儿园托班",
        (("2024-09-02", 20),),
    ),
    ("A2", "dayu", "private", 60, False, "2023-01-09", "2023-03-31", "门头沟区{brand}托育中心", ()),
    ("A3", "chengzi", "private", 60, False, "2023-01-16", "2023-04-14", "{brand}托育中心（城子店）", ()),
    ("A4", "yongding", "private", 90, False, "2023-01-16", "2023-04-14", "{brand}国际托育园", ()),
    ("A5", "longquan", "kindergarten_class", 30, True, "2023-02-01", "2023-03-31", "门头沟区龙泉幼儿园托班", ()),
    ("A6", "dongxinfang", "community", 20, True, "2023-02-06", "2023-04-28", "东辛房街道{community}社区托育点", ()),
    ("A7", "yongding", "employer", 30, True, "2023-02-13", "2023-04-28", "中关村门头沟园职工托育室", ()),
    ("A8", "tanzhesi", "private", 40, False, "2023-02-13", "2023-04-28", "{brand}托育园（潭柘寺）", ()),
    ("A9", "dayu", "school_staff", 20, True, "2023-03-01", "2023-05-31", "门头沟区机关事业单位职工子女托育点", ()),
    ("A10", "wangping", "community", 20, True, "2023-03-01", "2023-05-31", "王平镇{community}托育点", ()),
    # New kindergarten classes of the 2023 school year.
    (
        "A11",
        "chengzi",
        "kindergarten_class",
        25,
        True,
        "2023-08-21",
        "2023-09-08",
        "门头沟区城子幼儿园托班",
        (("2024-09-02", 15),),
    ),
    ("A12", "junzhuang", "kindergarten_class", 20, True, "2023-08-21", "2023-09-08", "门头沟区军庄中心幼儿园托班", ()),
    (
        "A13",
        "datai",
        "community",
        12,
        True,
        "2023-10-09",
        "2023-11-30",
        "大台街道{community}社区托育点",
        (("2024-06-17", 8),),
    ),
    # 2024: the plan's 600 new slots.
    (
        "B1",
        "yongding",
        "district_center",
        110,
        True,
        "2024-05-20",
        "2024-06-21",
        "门头沟区托育综合服务中心",
        (("2025-09-01", 20),),
    ),
    ("B2", "dayu", "kindergarten_class", 40, True, "2024-08-19", "2024-09-06", "门头沟区大峪第二幼儿园托班", ()),
    ("B3", "yongding", "kindergarten_class", 50, True, "2024-08-19", "2024-09-06", "门头沟区永定幼儿园托班", ()),
    ("B4", "yongding", "community", 30, True, "2024-04-08", "2024-06-28", "永定镇{community}社区托育点", ()),
    ("B5", "longquan", "kindergarten_class", 40, True, "2024-08-19", "2024-09-06", "门头沟区龙泉镇中心幼儿园托班", ()),
    ("B6", "longquan", "private", 60, False, "2024-02-26", "2024-04-12", "{brand}托育中心（龙泉店）", ()),
    ("B7", "dongxinfang", "kindergarten_class", 30, True, "2024-08-19", "2024-09-06", "门头沟区东辛房幼儿园托班", ()),
    ("B8", "tanzhesi", "kindergarten_class", 25, True, "2024-08-19", "2024-09-06", "门头沟区潭柘寺中心幼儿园托班", ()),
    ("B9", "wangping", "kindergarten_class", 20, True, "2024-08-19", "2024-09-06", "门头沟区王平中心幼儿园托班", ()),
    ("B10", "junzhuang", "community", 15, True, "2024-05-06", "2024-07-26", "军庄镇{community}托育点", ()),
    ("B11", "yanchi", "community", 20, True, "2024-09-16", "2024-10-31", "雁翅镇{community}托育点", ()),
    ("B12", "miaofengshan", "community", 15, False, "2024-06-03", "2024-08-30", "妙峰山镇{community}托育点", ()),
    (
        "B13",
        "zhaitang",
        "kindergarten_class",
        15,
        True,
        "2024-08-19",
        "2024-09-06",
        "门头沟区斋堂中心幼儿园托班",
        (("2025-11-17", 10),),
    ),
    ("B14", "qingshui", "community", 10, True, "2024-10-08", "2024-11-29", "清水镇{community}托育点", ()),
    ("B15", "dayu", "employer", 30, False, "2024-03-04", "2024-05-31", "门头沟区医院职工托育点", ()),
    ("B16", "chengzi", "private", 60, False, "2024-06-03", "2024-07-31", "{brand}托育中心（城子二店）", ()),
    # 2025-2026: the plan adjusts to demand; a few more.
    ("C1", "chengzi", "community", 20, True, "2025-03-03", "2025-04-30", "城子街道{community}社区托育点", ()),
    ("C2", "dayu", "community", 25, True, "2025-04-07", "2025-06-27", "大峪街道{community}社区托育点", ()),
    ("C7", "dayu", "private", 50, False, "2025-02-17", "2025-04-30", "{brand}托育园（新桥）", ()),
    ("C3", "dayu", "kindergarten_class", 30, True, "2025-08-18", "2025-09-05", "门头沟区育园幼儿园托班", ()),
    ("C4", "longquan", "employer", 30, True, "2025-08-04", "2025-10-31", "京煤集团职工托育点", ()),
    ("C5", "yongding", "private", 60, False, "2026-02-23", "2026-04-30", "{brand}托育中心（永定店）", ()),
    ("C6", "dongxinfang", "community", 20, True, "2026-05-11", "2026-07-31", "东辛房街道{community}社区托育点", ()),
)

BALANCE = {"A2": (date(2023, 12, 31), (40, 120)), "B1": (date(2024, 12, 31), (100, 150))}

BRANDS = ["小橡树", "禾苗", "贝乐成长", "爱贝", "童趣岛", "小太阳", "启航宝贝", "彩虹树", "乐思", "蒲公英", "青苗"]
COMMUNITIES = {
    "dayu": ["新桥", "峪园", "桃园", "大峪"],
    "chengzi": ["龙门", "城子", "蓝龙家园"],
    "dongxinfang": ["石门营", "东辛房", "黑山"],
    "yongding": ["惠通新苑", "冯村", "万科西山"],
    "wangping": ["西王平村", "东王平村"],
    "junzhuang": ["军庄村", "孟悟村"],
    "datai": ["桃园", "大台"],
    "yanchi": ["雁翅村", "芹峪村"],
    "miaofengshan": ["陇驾庄村", "樱桃沟村"],
    "qingshui": ["清水村", "上清水村"],
}
STREETS = {
    "dayu": ["新桥大街", "滨河路", "黑山大街", "大峪南路"],
    "chengzi": ["城子大街", "龙门路", "蓝龙路"],
    "dongxinfang": ["东辛房街", "圈门路"],
    "datai": ["大台路"],
    "wangping": ["王平路"],
    "tanzhesi": ["潭柘寺路", "平原村路"],
    "yongding": ["永定路", "石龙路", "冯村西路", "石门营路"],
    "longquan": ["龙泉路", "琉璃渠路", "龙泉务街"],
    "junzhuang": ["军庄路"],
    "yanchi": ["雁翅路"],
    "zhaitang": ["斋堂大街", "109国道"],
    "qingshui": ["清水路"],
    "miaofengshan": ["妙峰山路"],
}
OPERATORS = {
    "district_center": "北京市门头沟区卫生健康委员会",
    "school_staff": "北京市门头沟区机关事务管理局",
    "employer": "北京市门头沟区总工会",
    "A7": "中关村门头沟园管理委员会",
    "B15": "北京市门头沟区医院",
    "C4": "北京京煤集团有限责任公司",
}
# The first two characters of the 统一社会信用代码: who registered the organisation.
CREDIT_PREFIX = {
    "kindergarten_class": "12",
    "district_center": "12",
    "school_staff": "12",
    "employer": "12",
    "community": "52",
    "private": "91",
}
_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


@dataclass
class Planned:
    key: str
    township: str
    kind: str
    slots: int
    inclusive: bool
    filed_on: date
    name: str
    growth: list[tuple[date, int]]
    details: dict[str, Any] = field(default_factory=dict)  # the optional fields of InstitutionFiled
    institution_id: str = ""
    story: str | None = None  # the story around `today` it is filed for (recent.py)

    def slots_on(self, day: date) -> int:
        """Planned slots on `day` (0 before filing); closures are the generator's stories."""
        if day < self.filed_on:
            return 0
        return self.slots + sum(extra for when, extra in self.growth if when <= day)


def build_roster(rng: random.Random) -> list[Planned]:
    brands = rng.sample(BRANDS, len(BRANDS))
    roster = [_plan(rng, row, brands) for row in ROWS]
    for key, (day, (low, high)) in BALANCE.items():
        _balance(rng, roster, key, day, low, high)
    roster.sort(key=lambda p: (p.filed_on, p.key))
    for number, planned in enumerate(roster, start=1):
        planned.institution_id = f"MTG-{number:04d}"
        planned.details = _details(rng, planned)
    return roster


def later_filing(
    rng: random.Random,
    roster: list[Planned],
    key: str,
    township: str,
    kind: str,
    slots: int,
    day: date,
    name: str,
    story: str,
) -> Planned:
    """One more institution (not inclusive) filed on `day` for a story, numbered after the roster."""
    brand = next(b for b in BRANDS if all(b not in p.name for p in roster))
    planned = Planned(key, township, kind, slots, False, day, name.format(brand=brand), [], story=story)
    planned.institution_id = f"MTG-{len(roster) + 1:04d}"
    planned.details = _details(rng, planned)
    return planned


def total_slots(roster: list[Planned], day: date) -> int:
    return sum(p.slots_on(day) for p in roster)


def _plan(rng: random.Random, row: tuple[Any, ...], brands: list[str]) -> Planned:
    key, township, kind, slots, inclusive, first, last, name, growth = row
    first_day, last_day = date.fromisoformat(first), date.fromisoformat(last)
    filed_on = first_day + timedelta(days=rng.randint(0, (last_day - first_day).days))
    if filed_on.weekday() >= 5:  # the registry files on working days
        filed_on -= timedelta(days=filed_on.weekday() - 4)
    if kind in ("private", "community") and township in VALLEY and rng.random() < 0.5:
        slots += rng.choice((-5, 5))  # approved sizes vary with the premises
    name = name.format(
        brand=brands.pop() if "{brand}" in name else "", community=rng.choice(COMMUNITIES.get(township, ["中心"]))
    )
    return Planned(
        key,
        township,
        kind,
        max(10, slots),
        inclusive,
        filed_on,
        name,
        [(date.fromisoformat(day), extra) for day, extra in growth],
    )


def _balance(rng: random.Random, roster: list[Planned], key: str, day: date, low: int, high: int) -> None:
    # The plan's year-end figure, give or take a few slots, absorbed by one institution.
    wanted = {2023: 455, 2024: 1055}[day.year] + rng.randint(-8, 8)
    planned = next(p for p in roster if p.key == key)
    planned.slots = min(high, max(low, planned.slots + wanted - total_slots(roster, day)))


def _details(rng: random.Random, p: Planned) -> dict[str, Any]:
    town = TOWNSHIP_BY_ID[p.township]
    details: dict[str, Any] = {
        "monthly_fee_yuan": _fee(rng, p.kind, p.inclusive),
        "address": address(rng, p.township),
        "operator": _operator(p),
    }
    if rng.random() < 0.85:  # some filings came without a map position
        spread = 0.012 if p.township in VALLEY else 0.006
        details["location"] = {
            "lat": round(town.lat + rng.uniform(-spread, spread), 5),
            "lon": round(town.lon + rng.uniform(-spread, spread), 5),
        }
    if rng.random() < 0.75:
        details["credit_code"] = credit_code(rng, CREDIT_PREFIX[p.kind])
    return details


def address(rng: random.Random, township: str) -> str:
    town = TOWNSHIP_BY_ID[township]
    return f"北京市门头沟区{town.name_zh}{rng.choice(STREETS[township])}{rng.randint(1, 199)}号"


def _fee(rng: random.Random, kind: str, inclusive: bool) -> int:
    if kind == "private" and not inclusive:
        return rng.randrange(4000, 8001, 100)
    if not inclusive:
        return rng.randrange(2800, 3601, 100)
    low, high = {
        "kindergarten_class": (1000, 1500),
        "school_staff": (1000, 1500),
        "employer": (1200, 2000),
        "district_center": (2000, 2400),
    }.get(kind, (1500, 2200))
    return rng.randrange(low, high + 1, 50)


def _operator(p: Planned) -> str:
    if p.kind == "kindergarten_class":
        return "北京市" + p.name.removesuffix("托班")
    if p.kind == "private":
        return f"北京{p.name.split('托育')[0].removeprefix('门头沟区')}托育服务有限公司"
    if p.kind == "community":
        town = TOWNSHIP_BY_ID[p.township]
        return town.name_zh + ("办事处" if town.kind == "subdistrict" else "人民政府")
    return OPERATORS.get(p.key) or OPERATORS[p.kind]


def credit_code(rng: random.Random, prefix: str) -> str:
    """A 统一社会信用代码 registered in Mentougou (110109), with its GB 32100 check character."""
    body = prefix + "110109" + "".join(rng.choice(_CODE_CHARS) for _ in range(9))
    total = sum(_CODE_CHARS.index(c) * w for c, w in zip(body, _CODE_WEIGHTS, strict=True))
    return body + _CODE_CHARS[(31 - total % 31) % 31]
