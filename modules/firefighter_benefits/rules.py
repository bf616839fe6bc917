"""The policy of 株政办发〔2019〕12号 as plain functions over plain values.

Nothing here touches the database or Flask. Benefit rules arrive as
`RuleRow` values (from the editable rules table), so a later notice changes
who qualifies without a code change.
"""

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

CATEGORIES = ("establishment", "full_time", "civilian_staff")

# Benefits checked at gates and desks with a credential (section 1(1)-1(3)).
CHECKED_BENEFITS = ("priority_service", "transit", "venue")

# Primary school starts at six (Compulsory Education Law art. 11); junior middle
# school six years later. Section 2(3)3 speaks of "入学适龄人员".
PRIMARY_ENTRY_AGE = 6
JUNIOR_MIDDLE_ENTRY_AGE = 12

# Section 2(3)3: the list goes to the education department "于每年4月份前",
# read as due on 31 March.
LIST_DUE_MONTH, LIST_DUE_DAY = 3, 31
# The reminder runs from 1 March, a month before the list is due.
REMINDER_MONTH, REMINDER_DAY = 3, 1

# A service start date before the 16th birthday is refused (Labour Law art. 15
# forbids employing minors under 16).
MIN_WORKING_AGE = 16


@dataclass(frozen=True)
class RuleRow:
    """One row of the benefit rules table."""

    benefit: str
    categories: tuple[str, ...]
    min_service_years: int
    section: str
    needs_credential: bool = False


@dataclass(frozen=True)
class Person:
    """What the engine needs to know of a firefighter."""

    category: str
    service_start: date
    status: str = "serving"
    status_since: date | None = None


@dataclass(frozen=True)
class Eligibility:
    """Whether a person gets a benefit on a date, why, and from when."""

    benefit: str
    eligible: bool
    reason: str
    section: str = ""
    eligible_from: date | None = None


def anniversary(start: date, years: int) -> date:
    """The `years`-th anniversary of `start`.

    A 29 February start has its anniversary on 28 February of a common year: a
    period counted in years ends on the corresponding day, or on the last day of
    the month when there is none (Civil Code art. 202).
    """
    year = start.year + years
    last_day = calendar.monthrange(year, start.month)[1]
    return date(year, start.month, min(start.day, last_day))


def age_on(birth_date: date, on: date) -> int:
    """Full years of age on a date (a 29 February birthday counts on 28 February)."""
    years = on.year - birth_date.year
    if anniversary(birth_date, years) > on:
        years -= 1
    return years


def is_serving(person: Person, on: date) -> bool:
    """Whether the person still serves on a date (a status change ends service)."""
    if person.status == "serving":
        return True
    return person.status_since is not None and on < person.status_since


def evaluate(
    person: Person,
    benefit: str,
    rules: Sequence[RuleRow],
    on: date,
    credential_valid: bool | None = None,
) -> Eligibility:
    """Whether `person` gets `benefit` on `on`, with the reason and start date.

    Each rule row names the categories it covers and the full years of service
    they need; "满2年" is met on or after the second anniversary of the service
    start date (section 2(3)1, 2(3)3). `credential_valid` is None when the
    caller did not check a credential.
    """
    rows = [r for r in rules if r.benefit == benefit]
    if not rows:
        return Eligibility(benefit, False, "unknown_benefit")
    applicable = [r for r in rows if person.category in r.categories]
    if not applicable:
        return Eligibility(benefit, False, "category_not_covered", rows[0].section)

    starts = {
        r: anniversary(person.service_start, r.min_service_years) for r in applicable
    }
    best = min(applicable, key=lambda r: starts[r])
    start = starts[best]

    if not is_serving(person, on):
        return Eligibility(benefit, False, "not_serving", best.section)
    if on < person.service_start:
        return Eligibility(benefit, False, "not_yet_serving", best.section, start)
    met = [r for r in applicable if starts[r] <= on]
    if not met:
        return Eligibility(benefit, False, "service_too_short", best.section, start)
    row = min(met, key=lambda r: starts[r])
    if row.needs_credential and credential_valid is False:
        return Eligibility(benefit, False, "no_valid_credential", row.section, start)
    return Eligibility(benefit, True, "eligible", row.section, starts[row])


def credential_state(
    issued_on: date, expires_on: date, revoked_on: date | None, on: date
) -> str:
    """A credential's state on a date: valid, not_yet_valid, expired or revoked.

    Sections 1(1)-1(3) grant the benefits "凭有效证件": a credential counts up to
    and including its expiry date.
    """
    if revoked_on is not None and revoked_on <= on:
        return "revoked"
    if on < issued_on:
        return "not_yet_valid"
    if on > expires_on:
        return "expired"
    return "valid"


def school_stage(birth_date: date, year: int) -> str | None:
    """The school a child enters in September of `year`, if of entry age.

    Age is taken on 31 August, the day before the school year starts
    (section 2(3)3 "入学适龄人员").
    """
    age = age_on(birth_date, date(year, 8, 31))
    if age == PRIMARY_ENTRY_AGE:
        return "primary"
    if age == JUNIOR_MIDDLE_ENTRY_AGE:
        return "junior_middle"
    return None


def list_due_date(year: int) -> date:
    """The day a year's school enrollment list is due (section 2(3)3)."""
    return date(year, LIST_DUE_MONTH, LIST_DUE_DAY)


def reminder_start(year: int) -> date:
    """The first day the list reminder runs."""
    return date(year, REMINDER_MONTH, REMINDER_DAY)


def enrollment_year_for(requested: int, today: date, exception: bool) -> int:
    """The list a name added on `today` goes to.

    After the due date a name goes to the next year's list unless an
    administrator records an exception (section 2(3)3, RULES.md decision).
    """
    if today <= list_due_date(requested) or exception:
        return requested
    return requested + 1


def check_service_start(service_start: date, birth_date: date, today: date) -> str:
    """ "" when a service start date is plausible, else the reason code."""
    if service_start > today:
        return "in_future"
    if service_start < anniversary(birth_date, MIN_WORKING_AGE):
        return "before_16"
    return ""


def mask_name(name: str) -> str:
    """A name with all but its first character hidden, for gate displays."""
    if not name:
        return ""
    return name[0] + "*" * (len(name) - 1)


ALL = CATEGORIES
EST = ("establishment",)

# The rules of the notice, seeded into the rules table by the migration's data
# step (services.seed_rules) and editable afterwards.
DEFAULT_RULES = (
    # 1(1): priority at stations, hospitals and banks with a valid credential.
    RuleRow("priority_service", ALL, 0, "1(1)", needs_credential=True),
    # 1(2): free city public transport with a valid credential.
    RuleRow("transit", ALL, 0, "1(2)", needs_credential=True),
    # 1(3): government-priced venues as for active military, with a credential.
    RuleRow("venue", ALL, 0, "1(3)", needs_credential=True),
    # 2(2)2: accident and critical-illness insurance for every firefighter.
    RuleRow("accident_insurance", ALL, 0, "2(2)2"),
    RuleRow("critical_illness_insurance", ALL, 0, "2(2)2"),
    # 2(2)2: local employees' medical insurance for full-time firefighters and
    # civilian staff (the text names only these two).
    RuleRow("medical_insurance", ("full_time", "civilian_staff"), 0, "2(2)2"),
    # 2(2)3: work-injury insurance and military-standard compensation.
    RuleRow("work_injury_insurance", EST, 0, "2(2)3"),
    # 2(2)4: housing provident fund for every firefighter.
    RuleRow("housing_fund", ALL, 0, "2(2)4"),
    # 2(3)1: hukou for establishment firefighters; full-time firefighters and
    # civilian staff after two full years of service.
    RuleRow("hukou", EST, 0, "2(3)1"),
    RuleRow("hukou", ("full_time", "civilian_staff"), 2, "2(3)1"),
    # 2(3)2: family employment placement for establishment firefighters.
    RuleRow("family_employment", EST, 0, "2(3)2"),
    # 2(3)3: children's school enrollment; full-time firefighters after two
    # full years; civilian staff are not named.
    RuleRow("school_enrollment", EST, 0, "2(3)3"),
    RuleRow("school_enrollment", ("full_time",), 2, "2(3)3"),
)

BENEFITS = tuple(dict.fromkeys(r.benefit for r in DEFAULT_RULES))
