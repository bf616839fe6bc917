"""The work-safety and fire assessment (株政办发〔2019〕10号) as plain functions.

No database and no Flask here: values in, values out. Every rule cites the
article it comes from. "N 以上" includes N and "N 以下" excludes N (art. 10(1)).
"""

import calendar as pycalendar
import enum
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

BASE_POINTS = Decimal(100)  # art. 8: a hundred-point scale
WAN = Decimal(10_000)  # 1 万元 in yuan
SELF_ASSESSMENT_DUE = (11, 15)  # art. 13: by 15 November
REMINDERS_FROM = (11, 1)
LOOK_BACK_YEARS = 3  # art. 8: concealed accidents of the previous three years
COUNTY_EXCELLENT_QUOTA = 6  # art. 10(1): ranked in the top 6
# art. 11(2)1: a forest-fire damage rate above 0.9 per mille is a veto.
DAMAGE_RATE_LIMIT = Decimal("0.0009")


class AccidentKind(enum.StrEnum):
    PRODUCTION = "production"  # 生产安全事故
    FIRE = "fire"  # 消防火灾事故 (not a forest fire)
    FOREST_FIRE = "forest_fire"  # 森林火灾


FIRE_KINDS = {AccidentKind.FIRE, AccidentKind.FOREST_FIRE}


class AccidentLevel(enum.StrEnum):
    GENERAL = "general"
    SERIOUS = "serious"  # 较大
    MAJOR = "major"  # 重大
    ESPECIALLY_MAJOR = "especially_major"  # 特别重大

    @property
    def rank(self) -> int:
        """0 for general up to 3 for especially major."""
        return _LEVEL_RANK[self]

    def at_least(self, other: "AccidentLevel") -> bool:
        """Whether this level is `other` or worse."""
        return _LEVEL_RANK[self] >= _LEVEL_RANK[other]


_LEVEL_RANK = {
    AccidentLevel.GENERAL: 0,
    AccidentLevel.SERIOUS: 1,
    AccidentLevel.MAJOR: 2,
    AccidentLevel.ESPECIALLY_MAJOR: 3,
}


def general_accident_matters(
    kind: "AccidentKind",
    deaths: int,
    egregious: bool,
    especially_egregious: bool,
    concealed: bool,
    falsely_reported: bool,
) -> bool:
    """Whether a general accident can weigh in any condition of art. 10 or 11.

    Only egregious ones, concealed or falsely reported ones, forest fires
    (their burned area, art. 11(2)1) and fires with deaths (art. 11(1)3) do;
    grading may leave every other general accident unread.
    """
    return (
        egregious
        or especially_egregious
        or concealed
        or falsely_reported
        or kind == AccidentKind.FOREST_FIRE
        or (kind == AccidentKind.FIRE and deaths > 0)
    )


class UnitKind(enum.StrEnum):
    COUNTY = "county"
    CITY_DEPARTMENT = "city_department"
    RESIDENT_UNIT = "resident_unit"
    TOWNSHIP = "township"
    ENTERPRISE = "enterprise"


DEPARTMENT_KINDS = {UnitKind.CITY_DEPARTMENT, UnitKind.RESIDENT_UNIT}


class Grade(enum.StrEnum):
    EXCELLENT = "excellent"
    GOOD = "good"
    PASS = "pass"
    FAIL = "fail"

    @property
    def rank(self) -> int:
        """0 for fail up to 3 for excellent."""
        return [Grade.FAIL, Grade.PASS, Grade.GOOD, Grade.EXCELLENT].index(self)


def lower_grade(grade: Grade, cap: Grade) -> Grade:
    """The lower of two grades."""
    return grade if grade.rank <= cap.rank else cap


class YellowCardRule(enum.StrEnum):
    # RULES.md's decision: a yellow card caps the grade at pass.
    CAP_AT_PASS = "cap_at_pass"
    # The literal art. 11(1) reading: "不得评为合格以上等级" forces fail.
    STRICT_FAIL = "strict_fail"


class PreWarningKind(enum.StrEnum):
    PRE_WARNING = "pre_warning"  # 黄牌警告预警告
    PRE_VETO = "pre_veto"  # 一票否决预否决


class SanctionKind(enum.StrEnum):
    NO_AWARDS = "no_awards"  # art. 16: no awards that year
    NO_PROMOTION = "no_promotion"  # art. 16: leaders not promoted for a year
    BONUS_DEDUCTED = "bonus_deducted"  # art. 16: performance bonus withheld
    NO_SAFETY_AWARDS = "no_safety_awards"  # art. 16: yellow card


# Accident levels -------------------------------------------------------------


def _check_counts(**values) -> None:
    for name, value in values.items():
        if value is None or value < 0:
            raise ValueError(name)


def accident_level(
    kind: AccidentKind,
    deaths: int,
    serious_injuries: int,
    direct_loss: Decimal = Decimal(0),
    burned_area_ha: Decimal = Decimal(0),
) -> AccidentLevel:
    """The level of an accident: the highest reached by any criterion.

    Production and fire accidents: 《生产安全事故报告和调查处理条例》 art. 3
    (deaths, serious injuries, direct loss in yuan). Forest fires:
    《森林防火条例》 art. 40 (burned forest area in hectares, deaths, injuries).
    Raises ValueError naming the first negative value.
    """
    _check_counts(
        deaths=deaths,
        serious_injuries=serious_injuries,
        direct_loss=direct_loss,
        burned_area_ha=burned_area_ha,
    )
    if kind == AccidentKind.FOREST_FIRE:
        # 森林防火条例 art. 40: area 1 / 100 / 1000 ha; deaths and injuries as below.
        measure, steps = burned_area_ha, (Decimal(1), Decimal(100), Decimal(1000))
    else:
        # 条例 art. 3: loss 1,000 / 5,000 / 10,000 万元.
        measure, steps = direct_loss, (1000 * WAN, 5000 * WAN, 10000 * WAN)
    if deaths >= 30 or serious_injuries >= 100 or measure >= steps[2]:
        return AccidentLevel.ESPECIALLY_MAJOR
    if deaths >= 10 or serious_injuries >= 50 or measure >= steps[1]:
        return AccidentLevel.MAJOR
    if deaths >= 3 or serious_injuries >= 10 or measure >= steps[0]:
        return AccidentLevel.SERIOUS
    return AccidentLevel.GENERAL


def is_serious_fatal_forest_fire(kind: AccidentKind, deaths: int) -> bool:
    """A 较大亡人森林火灾: a forest fire with 3 to 9 deaths (art. 10(1), 合格类 1)."""
    return kind == AccidentKind.FOREST_FIRE and 3 <= deaths < 10


# Accident periods (art. 8) ---------------------------------------------------


def accident_period(year: int) -> tuple[date, date]:
    """The accident period of assessment year Y: 1 Dec Y-1 to 30 Nov Y (art. 8)."""
    return date(year - 1, 12, 1), date(year, 11, 30)


def period_year(day: date) -> int:
    """The assessment year whose accident period holds `day` (art. 8)."""
    return day.year + 1 if day.month == 12 else day.year


def december_rule_applies(level: AccidentLevel, bad_social_effect: bool) -> bool:
    """Whether a December accident counts in its own calendar year (art. 8).

    当年 12 月发生的重特大事故和影响恶劣的较大事故纳入当年考核.
    """
    if level.at_least(AccidentLevel.MAJOR):
        return True
    return level == AccidentLevel.SERIOUS and bad_social_effect


def occurrence_year(
    occurred_on: date, level: AccidentLevel, bad_social_effect: bool = False
) -> int:
    """The assessment year of an accident by its date and the December rule (art. 8)."""
    if occurred_on.month == 12 and december_rule_applies(level, bad_social_effect):
        return occurred_on.year
    return period_year(occurred_on)


def assessment_year(
    occurred_on: date,
    level: AccidentLevel,
    bad_social_effect: bool = False,
    misreported: bool = False,
    confirmed_on: date | None = None,
) -> int | None:
    """The assessment year an accident counts in, or None when it counts nowhere.

    art. 8: a concealed, falsely reported or late reported (瞒报、谎报、补报)
    accident of level 较大 or worse that occurred within the previous three
    years and is confirmed during year Y's period counts in year Y.
    """
    own = occurrence_year(occurred_on, level, bad_social_effect)
    if not misreported or confirmed_on is None:
        return own
    if not level.at_least(AccidentLevel.SERIOUS):
        return own
    confirmed_year = period_year(confirmed_on)
    if confirmed_year <= own:
        return own
    if confirmed_year - own <= LOOK_BACK_YEARS:
        return confirmed_year
    # Older than the look-back: its own year is long closed, so it counts nowhere.
    return None


# Forest-fire damage rate (art. 11(2)1) ---------------------------------------


def damage_rate(
    burned_area_ha: Decimal, forest_area_ha: Decimal | None
) -> Decimal | None:
    """Burned forest area over forest area (森林火灾受害率), or None without forest."""
    if not forest_area_ha:
        return None
    return Decimal(burned_area_ha) / Decimal(forest_area_ha)


def damage_rate_exceeded(
    burned_area_ha: Decimal, forest_area_ha: Decimal | None
) -> bool:
    """Whether the damage rate is above 0.9‰ (超过千分之 0.9, art. 11(2)1).

    Compared without division so that exactly 0.9‰ is never rounded above.
    """
    if not forest_area_ha:
        return False
    return Decimal(burned_area_ha) * 10_000 > Decimal(forest_area_ha) * 9


# Scores (art. 8, 9) ----------------------------------------------------------


def effective_deduction(recorded: Decimal, item_points: Decimal) -> Decimal:
    """An item's deduction stops at the item's points (单项分值扣完为止, art. 8)."""
    return min(Decimal(recorded), Decimal(item_points))


def score(
    item_points: dict,
    deductions: dict,
    approved_bonus: Decimal = Decimal(0),
    bonus_cap: Decimal | None = None,
) -> Decimal:
    """100 less each item's effective deduction, plus approved bonus (art. 8, 9).

    `item_points` maps item → points and `deductions` item → recorded total;
    only committee-approved bonus points are passed in (art. 9).
    """
    lost = sum(
        (
            effective_deduction(total, item_points[item])
            for item, total in deductions.items()
            if item in item_points
        ),
        Decimal(0),
    )
    bonus = Decimal(approved_bonus)
    if bonus_cap is not None:
        bonus = min(bonus, Decimal(bonus_cap))
    return BASE_POINTS - lost + bonus


def score_band(points: Decimal) -> Grade:
    """The grade by score alone: 90 / 80 / 60 and above (art. 10(1), 10(2))."""
    if points >= 90:
        return Grade.EXCELLENT
    if points >= 80:
        return Grade.GOOD
    if points >= 60:
        return Grade.PASS
    return Grade.FAIL


def competition_ranks(scores: dict) -> dict:
    """Rank keys by score, highest first; equal scores share a rank (1, 2, 2, 4)."""
    ordered = sorted(scores.items(), key=lambda pair: pair[1], reverse=True)
    ranks, previous, rank = {}, None, 0
    for position, (key, value) in enumerate(ordered, start=1):
        if value != previous:
            rank, previous = position, value
        ranks[key] = rank
    return ranks


# Grades, yellow cards and vetoes (art. 10, 11) -------------------------------


@dataclass(frozen=True)
class Reason:
    """Why a grade is what it is: a code, the article and values for the text."""

    code: str
    article: str
    values: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        """A JSON-ready form."""
        return {"code": self.code, "article": self.article, "values": self.values}


@dataclass(frozen=True)
class CountedAccident:
    """An accident as it counts for one unit in one assessment year.

    `count` accidents alike in every field may be folded into one, with
    `burned_area_ha` their total, so grading scales with kinds, not rows.
    """

    kind: AccidentKind
    level: AccidentLevel
    deaths: int = 0
    burned_area_ha: Decimal = Decimal(0)
    concealed: bool = False
    falsely_reported: bool = False
    concealment_by_government: bool = False
    egregious: bool = False  # 性质恶劣
    especially_egregious: bool = False  # 性质特别恶劣
    liability: bool = True  # 责任事故
    count: int = 1


@dataclass
class UnitFacts:
    """What the grading of one unit in one year needs."""

    key: object
    kind: UnitKind
    score: Decimal
    accidents: list[CountedAccident] = field(default_factory=list)
    group: object = None  # a township's county, for the township quota
    key_task_incomplete: bool = False
    outside_accident_fault: bool = False
    publicly_criticised: bool = False
    listed_hazard_unrectified: bool = False
    forest_area_ha: Decimal | None = None
    prior_serious_average: Decimal | None = None


@dataclass(frozen=True)
class RuleSettings:
    """The year's switchable rules."""

    yellow_card_rule: YellowCardRule = YellowCardRule.CAP_AT_PASS
    county_excellent_quota: int = COUNTY_EXCELLENT_QUOTA
    township_excellent_quota: int | None = None


@dataclass
class GradeResult:
    """A unit's grade with the reasons that produced it."""

    key: object
    kind: UnitKind
    score: Decimal
    rank: int
    grade: Grade
    yellow_card: bool
    veto: bool
    reasons: list[Reason]


def _count(accidents: Iterable[CountedAccident], test) -> int:
    return sum(a.count for a in accidents if test(a))


def _serious_production(a: CountedAccident) -> bool:
    return a.kind == AccidentKind.PRODUCTION and a.level == AccidentLevel.SERIOUS


def _serious_fatal_forest_fire(a: CountedAccident) -> bool:
    return a.level == AccidentLevel.SERIOUS and is_serious_fatal_forest_fire(
        a.kind, a.deaths
    )


def _egregious_general_liability(a: CountedAccident) -> bool:
    return (
        a.kind == AccidentKind.PRODUCTION
        and a.level == AccidentLevel.GENERAL
        and a.liability
        and (a.egregious or a.especially_egregious)
    )


def burned_area(accidents: Iterable[CountedAccident]) -> Decimal:
    """Total burned forest area of a unit's forest fires."""
    return sum(
        (a.burned_area_ha for a in accidents if a.kind == AccidentKind.FOREST_FIRE),
        Decimal(0),
    )


def yellow_card_reasons(
    kind: UnitKind, accidents: list[CountedAccident]
) -> list[Reason]:
    """The yellow-card conditions of art. 11(1) the unit's accidents meet."""
    reasons = []
    if kind == UnitKind.COUNTY:
        # art. 11(1)1: two serious production accidents or two serious fatal
        # forest fires (accidents without a supervisory duty are not passed in).
        serious = _count(accidents, _serious_production)
        if serious >= 2:
            reasons.append(
                Reason("yellow_serious_accidents", "art. 11(1)1", {"n": serious})
            )
        fires = _count(accidents, _serious_fatal_forest_fire)
        if fires >= 2:
            reasons.append(
                Reason("yellow_fatal_forest_fires", "art. 11(1)1", {"n": fires})
            )
    elif kind in DEPARTMENT_KINDS:
        # art. 11(1)2: two or more serious accidents in the supervised sector.
        serious = _count(accidents, lambda a: a.level == AccidentLevel.SERIOUS)
        if serious >= 2:
            reasons.append(
                Reason("yellow_sector_serious", "art. 11(1)2", {"n": serious})
            )
    elif kind == UnitKind.TOWNSHIP:
        # art. 11(1)3: one egregious general liability accident, or one
        # general fire accident (forest fires included, art. 1) with deaths.
        if _count(accidents, _egregious_general_liability) >= 1:
            reasons.append(Reason("yellow_egregious_general", "art. 11(1)3"))
        if _count(
            accidents,
            lambda a: (
                a.kind in FIRE_KINDS
                and a.level == AccidentLevel.GENERAL
                and a.deaths >= 1
            ),
        ):
            reasons.append(Reason("yellow_general_fatal_fire", "art. 11(1)3"))
    elif kind == UnitKind.ENTERPRISE:
        # art. 11(1)4: one egregious general liability accident (two are a veto).
        if _count(accidents, _egregious_general_liability) == 1:
            reasons.append(Reason("yellow_egregious_general", "art. 11(1)4"))
    return reasons


def veto_reasons(
    kind: UnitKind,
    accidents: list[CountedAccident],
    forest_area_ha: Decimal | None = None,
) -> list[Reason]:
    """The accident-driven veto conditions of art. 11(2)1–5 the unit meets."""
    reasons = []

    # art. 11(2)1: every unit.
    if _count(accidents, lambda a: a.level == AccidentLevel.ESPECIALLY_MAJOR):
        reasons.append(Reason("veto_especially_major", "art. 11(2)1"))
    if damage_rate_exceeded(burned_area(accidents), forest_area_ha):
        rate = damage_rate(burned_area(accidents), forest_area_ha) * 1000
        reasons.append(
            Reason("veto_damage_rate", "art. 11(2)1", {"rate": f"{rate:.3f}"})
        )

    if kind == UnitKind.COUNTY:
        # art. 11(2)2
        if _count(
            accidents,
            lambda a: (
                a.level == AccidentLevel.MAJOR
                and a.kind in (AccidentKind.PRODUCTION, AccidentKind.FOREST_FIRE)
            ),
        ):
            reasons.append(Reason("veto_major_accident", "art. 11(2)2"))
        serious = _count(accidents, _serious_production)
        if serious >= 3:
            reasons.append(
                Reason("veto_serious_accidents", "art. 11(2)2", {"n": serious})
            )
        fires = _count(accidents, _serious_fatal_forest_fire)
        if fires >= 3:
            reasons.append(
                Reason("veto_fatal_forest_fires", "art. 11(2)2", {"n": fires})
            )
        # Only when the investigation puts the concealment on government bodies.
        if _count(
            accidents,
            lambda a: (
                a.kind == AccidentKind.PRODUCTION
                and a.level.at_least(AccidentLevel.SERIOUS)
                and (a.concealed or a.falsely_reported)
                and a.concealment_by_government
            ),
        ):
            reasons.append(Reason("veto_concealment", "art. 11(2)2"))
    elif kind in DEPARTMENT_KINDS:
        # art. 11(2)3: one or more major accidents in the supervised sector.
        if _count(accidents, lambda a: a.level == AccidentLevel.MAJOR):
            reasons.append(Reason("veto_sector_major", "art. 11(2)3"))
    elif kind == UnitKind.TOWNSHIP:
        # art. 11(2)4
        if _count(accidents, lambda a: a.level.at_least(AccidentLevel.SERIOUS)):
            reasons.append(Reason("veto_serious_or_worse", "art. 11(2)4"))
        if _count(
            accidents,
            lambda a: a.level == AccidentLevel.GENERAL and a.especially_egregious,
        ):
            reasons.append(Reason("veto_especially_egregious", "art. 11(2)4"))
    elif kind == UnitKind.ENTERPRISE:
        # art. 11(2)5
        if _count(accidents, lambda a: a.level.at_least(AccidentLevel.SERIOUS)):
            reasons.append(Reason("veto_serious_or_worse", "art. 11(2)5"))
        egregious = _count(accidents, _egregious_general_liability)
        if egregious >= 2:
            reasons.append(
                Reason("veto_egregious_general", "art. 11(2)5", {"n": egregious})
            )
        if _count(accidents, lambda a: a.concealed or a.falsely_reported):
            reasons.append(Reason("veto_concealment", "art. 11(2)5"))
        if _count(
            accidents,
            lambda a: a.level == AccidentLevel.GENERAL and a.especially_egregious,
        ):
            reasons.append(Reason("veto_especially_egregious", "art. 11(2)5"))
    return reasons


def not_excellent_reasons(facts: UnitFacts) -> list[Reason]:
    """Conditions of art. 10 that keep a unit from excellent."""
    reasons = []
    if facts.kind == UnitKind.COUNTY:
        if facts.key_task_incomplete:
            reasons.append(Reason("no_excellent_key_task", "art. 10(1)"))
        if facts.outside_accident_fault:
            reasons.append(Reason("no_excellent_outside_accident", "art. 10(1)"))
        if facts.publicly_criticised:
            reasons.append(Reason("no_excellent_criticised", "art. 10(1)"))
    elif facts.kind in DEPARTMENT_KINDS and facts.prior_serious_average is not None:
        serious = _count(facts.accidents, lambda a: a.level == AccidentLevel.SERIOUS)
        if serious > facts.prior_serious_average:
            reasons.append(
                Reason(
                    "no_excellent_sector_rise",
                    "art. 10(2)",
                    {"n": serious, "average": str(facts.prior_serious_average)},
                )
            )
    return reasons


def pass_cap_reasons(facts: UnitFacts) -> list[Reason]:
    """Conditions of art. 10(1) that cap a county at pass (合格类单位)."""
    if facts.kind != UnitKind.COUNTY:
        return []
    reasons = []
    if _count(facts.accidents, _serious_production):
        reasons.append(Reason("cap_serious_accident", "art. 10(1)"))
    if _count(facts.accidents, _serious_fatal_forest_fire):
        reasons.append(Reason("cap_fatal_forest_fire", "art. 10(1)"))
    if facts.listed_hazard_unrectified:
        reasons.append(Reason("cap_listed_hazard", "art. 10(1)"))
    return reasons


def _quota_ranks(units: list[UnitFacts]) -> dict:
    """Rank of each unit among its own kind (townships within their county)."""
    groups = defaultdict(dict)
    for unit in units:
        group = (
            (UnitKind.TOWNSHIP, unit.group)
            if unit.kind == UnitKind.TOWNSHIP
            else unit.kind
        )
        groups[group][unit.key] = unit.score
    ranks = {}
    for scores in groups.values():
        ranks.update(competition_ranks(scores))
    return ranks


def grade_unit(facts: UnitFacts, rank: int, settings: RuleSettings) -> GradeResult:
    """Grade one unit given its rank among its peers (art. 10, 11)."""
    reasons: list[Reason] = []
    band = score_band(facts.score)
    grade = band
    reasons.append(
        Reason(f"score_{band.value}", "art. 10", {"score": str(facts.score)})
    )

    if band == Grade.EXCELLENT:
        blocked = not_excellent_reasons(facts)
        quota = None
        if facts.kind == UnitKind.COUNTY:
            quota = settings.county_excellent_quota
        elif facts.kind == UnitKind.TOWNSHIP:
            quota = settings.township_excellent_quota
        if blocked:
            grade = Grade.GOOD
            reasons.extend(blocked)
        elif quota is not None and rank > quota:
            # art. 10(1): eligible at 90 or more but beyond the quota is good.
            grade = Grade.GOOD
            reasons.append(
                Reason("beyond_quota", "art. 10(1)", {"rank": rank, "quota": quota})
            )
        elif quota is not None:
            reasons.append(
                Reason("within_quota", "art. 10(1)", {"rank": rank, "quota": quota})
            )

    caps = pass_cap_reasons(facts)
    if caps:
        grade = lower_grade(grade, Grade.PASS)
        reasons.extend(caps)

    yellow = yellow_card_reasons(facts.kind, facts.accidents) if facts.accidents else []
    if yellow:
        reasons.extend(yellow)
        if settings.yellow_card_rule == YellowCardRule.STRICT_FAIL:
            # The literal reading of art. 11(1): 不得评为合格以上等级.
            grade = Grade.FAIL
            reasons.append(Reason("yellow_card_strict", "art. 11(1)"))
        else:
            grade = lower_grade(grade, Grade.PASS)
            reasons.append(Reason("yellow_card_cap", "art. 11(1)"))

    vetoes = (
        veto_reasons(facts.kind, facts.accidents, facts.forest_area_ha)
        if facts.accidents
        else []
    )
    if vetoes:
        grade = Grade.FAIL
        reasons.extend(vetoes)
    elif grade == Grade.FAIL:
        # art. 11(2)6: a unit graded fail is vetoed.
        vetoes = [Reason("veto_fail", "art. 11(2)6")]
        reasons.extend(vetoes)

    return GradeResult(
        key=facts.key,
        kind=facts.kind,
        score=facts.score,
        rank=rank,
        grade=grade,
        yellow_card=bool(yellow),
        veto=bool(vetoes),
        reasons=reasons,
    )


def grade_all(units: list[UnitFacts], settings: RuleSettings) -> dict:
    """Grade every unit of a year; counties are ranked among counties (art. 10)."""
    ranks = _quota_ranks(units)
    return {u.key: grade_unit(u, ranks[u.key], settings) for u in units}


def prewarning_kind(
    kind: UnitKind, accidents: list[CountedAccident], forest_area_ha=None
) -> tuple[PreWarningKind | None, list[Reason]]:
    """Whether a unit's accidents so far call for a pre-warning or pre-veto (art. 12).

    art. 12 applies once a 较大-or-worse accident has occurred and the year's
    accidents meet a yellow-card or veto condition.
    """
    if not any(a.level.at_least(AccidentLevel.SERIOUS) for a in accidents):
        return None, []
    vetoes = veto_reasons(kind, accidents, forest_area_ha)
    if vetoes:
        return PreWarningKind.PRE_VETO, vetoes
    yellow = yellow_card_reasons(kind, accidents)
    if yellow:
        return PreWarningKind.PRE_WARNING, yellow
    return None, []


# Dates: rectification, sanctions, self-assessment (art. 12, 13, 16) ----------


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it is shorter."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    last = pycalendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))


def rectification_due(notified_on: date) -> date:
    """A written rectification report is due one month after the notice (art. 12)."""
    return add_months(notified_on, 1)


@dataclass(frozen=True)
class SanctionSpec:
    """One sanction with its period (inclusive dates)."""

    kind: SanctionKind
    starts_on: date
    ends_on: date


def sanctions(
    year: int, veto: bool, yellow_card: bool, pre_veto_on: date | None, decided_on: date
) -> list[SanctionSpec]:
    """The sanctions of art. 16, their periods counted as art. 12 says."""
    whole_year = (date(year, 1, 1), date(year, 12, 31))
    if veto:
        # art. 12: the period of restrictions runs from the pre-veto date.
        start = pre_veto_on or decided_on
        return [
            SanctionSpec(SanctionKind.NO_AWARDS, *whole_year),
            SanctionSpec(
                SanctionKind.NO_PROMOTION,
                start,
                add_months(start, 12) - timedelta(days=1),
            ),
            SanctionSpec(SanctionKind.BONUS_DEDUCTED, *whole_year),
        ]
    if yellow_card:
        return [SanctionSpec(SanctionKind.NO_SAFETY_AWARDS, *whole_year)]
    return []


def self_assessment_due(year: int) -> date:
    """Self-assessment reports are due by 15 November of the year (art. 13)."""
    return date(year, *SELF_ASSESSMENT_DUE)


def reminder_due(
    today: date, year: int, filed: bool, last_reminded_on: date | None
) -> bool:
    """Whether a unit that has not filed gets a reminder today.

    Reminders start on 1 November and run, once a day, until the report is
    filed or the accident period ends on 30 November (art. 8, 13).
    """
    if filed:
        return False
    if not date(year, *REMINDERS_FROM) <= today <= accident_period(year)[1]:
        return False
    return last_reminded_on is None or last_reminded_on < today
