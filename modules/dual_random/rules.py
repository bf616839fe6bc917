"""The "double random, one public" policy (株政办发〔2019〕11号) as plain functions.

Articles are the numbered key tasks of section 4 of the notice ("task 8").

The draw (task 8), algorithm "py-random-sample-v1":

1. The candidates are the active targets matching the task's filters, ordered
   by target id (the stable key); their fingerprint is the SHA-256 of the ids
   packed as 64-bit little-endian integers (``struct.pack("<nq", *ids)``).
2. Without stratification there is one stratum holding every candidate. With
   stratification the candidates are grouped by county id or risk level, the
   strata sorted by their key as text, each keeping the id order.
3. The sample size of each stratum: for a ratio r, ceil(n * r) of its n
   candidates; for a count k, k shared in proportion to stratum sizes by the
   largest remainder (ties to the earlier stratum).
4. One generator ``random.Random(int(seed))`` (Python's Mersenne Twister,
   seeded from the decimal seed) walks the strata in order; for each it takes
   ``rng.sample(range(n), k)`` and the drawn targets are the candidates at
   those positions, in that order.

Anyone holding the candidate list and the seed can re-run the four steps with
a stock Python and get the same targets in the same order.
"""

import hashlib
import math
import random
import sys
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

ALGORITHM = "py-random-sample-v1"

# task 8 decision (RULES.md §5): at least two inspectors on every target.
MIN_INSPECTORS_PER_TARGET = 2

# task 9: results are published within 20 working days of the task's completion.
PUBLICATION_WORKING_DAYS = 20

# Reminders are issued this many working days before a publication deadline.
PUBLICATION_REMINDER_WORKING_DAYS = 5

# Reminders of the plan deadlines (tasks 6, 7) start this many days before.
PLAN_REMINDER_DAYS = 15


def N_(message: str) -> str:
    """Mark a message for translation; the service layer translates it."""
    return message


class RuleError(ValueError):
    """A rule refused its input; `field` names what is wrong."""

    def __init__(self, message: str, field: str = "", article: str = "", **values):
        super().__init__(message)
        self.message = message
        self.field = field
        self.article = article
        self.values = values


# -- Item list (task 3) ------------------------------------------------------


def check_ratio(ratio: Decimal, field: str = "sample_ratio") -> Decimal:
    """A sampling ratio must lie above 0 and at most 1 (task 3, task 8)."""
    if ratio is None or not (Decimal(0) < Decimal(ratio) <= Decimal(1)):
        raise RuleError(
            N_("The ratio must be above 0 and at most 1."), field=field, value=ratio
        )
    return Decimal(ratio)


def key_share(key_items: int, total_items: int) -> Decimal:
    """The share of key items in a department's active list (task 3)."""
    if total_items <= 0:
        return Decimal(0)
    return (Decimal(key_items) / Decimal(total_items)).quantize(Decimal("0.0001"))


def key_share_within_limit(key_items: int, total_items: int, limit: Decimal) -> bool:
    """Whether the key share is within the department's limit.

    task 3 (strictly control the number of key inspections): the share may
    reach the limit, not pass it.
    """
    return key_share(key_items, total_items) <= Decimal(limit)


# -- Plans (tasks 6, 7) --------------------------------------------------------


def department_plan_due(plan_year: int) -> date:
    """task 6: a department's plan for next year is due by the end of December."""
    return date(plan_year - 1, 12, 31)


def joint_plan_due(plan_year: int) -> date:
    """task 7: the lead department's joint plan is due by the end of January."""
    return date(plan_year, 1, 31)


def plan_reminder_starts(due: date) -> date:
    """The first day reminders of a plan deadline are issued."""
    return date.fromordinal(due.toordinal() - PLAN_REMINDER_DAYS)


# -- Publication (task 9) ------------------------------------------------------


def publication_deadline(
    completed_on: date, add_working_days: Callable[[date, int], date]
) -> date:
    """task 9: within 20 working days of completion (the day itself not counted)."""
    return add_working_days(completed_on, PUBLICATION_WORKING_DAYS)


def publication_overdue(deadline: date, today: date, published: bool) -> bool:
    """task 9: unpublished after the deadline day is overdue."""
    return not published and today > deadline


# -- Sample (task 8) -----------------------------------------------------------


def sample_size(population: int, count: int | None, ratio: Decimal | None) -> int:
    """The number of targets to draw from a population of `population`."""
    if (count is None) == (ratio is None):
        raise RuleError(
            N_("Give either a sample count or a sample ratio."), field="sample"
        )
    if ratio is not None:
        ratio = check_ratio(ratio)
        size = math.ceil(Decimal(population) * ratio)
    else:
        if count < 1:
            raise RuleError(
                N_("The sample must hold at least one target."), "sample_count"
            )
        size = count
    if size > population:
        raise RuleError(
            N_("The sample (%(size)s) is larger than the population (%(population)s)."),
            field="sample_count" if ratio is None else "sample_ratio",
            size=size,
            population=population,
        )
    if size < 1:
        raise RuleError(N_("The population is empty."), field="population")
    return size


def allocate(
    sizes: Sequence[int], count: int | None, ratio: Decimal | None
) -> list[int]:
    """Sample sizes per stratum (step 3 of the algorithm in this module's doc)."""
    population = sum(sizes)
    total = sample_size(population, count, ratio)
    if ratio is not None:
        return [math.ceil(Decimal(n) * Decimal(ratio)) for n in sizes]
    exact = [Decimal(total) * n / population for n in sizes]
    shares = [int(x) for x in exact]
    left = total - sum(shares)
    order = sorted(range(len(sizes)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in order[:left]:
        shares[i] += 1
    return shares


def fingerprint(ids: Sequence[int]) -> str:
    """SHA-256 of the candidate ids as 64-bit little-endian integers (step 1)."""
    # The same bytes as struct.pack("<nq", *ids), without a million arguments.
    packed = array("q", ids)
    if sys.byteorder != "little":
        packed.byteswap()
    return hashlib.sha256(packed).hexdigest()


def new_seed() -> str:
    """A fresh 128-bit seed from the system's entropy, as decimal text."""
    import secrets

    return str(secrets.randbits(128))


def draw(
    strata: Sequence[tuple[str, Sequence[int]]],
    count: int | None,
    ratio: Decimal | None,
    seed: str,
) -> list[tuple[int, str]]:
    """The drawn ids with their stratum key, in draw order (steps 2 to 4)."""
    ordered = sorted(strata, key=lambda s: s[0])
    sizes = allocate([len(ids) for _, ids in ordered], count, ratio)
    rng = random.Random(int(seed))
    drawn = []
    for (key, ids), k in zip(ordered, sizes, strict=True):
        for position in rng.sample(range(len(ids)), k):
            drawn.append((ids[position], key))
    return drawn


# -- Matching (task 8) ---------------------------------------------------------


def seats(departments: Sequence[int], per_target: int) -> dict[int, int]:
    """Inspectors each department sends to a target.

    task 8 decision: at least two per target, and at least one from every
    participating department ("enter once, check several things", task 7);
    seats beyond one each go to the departments in order.
    """
    if not departments:
        raise RuleError(
            N_("A task needs at least one department."), field="departments"
        )
    total = max(per_target, MIN_INSPECTORS_PER_TARGET, len(departments))
    result = {d: 0 for d in departments}
    for i in range(total):
        result[departments[i % len(departments)]] += 1
    return result


def match(
    target_ids: Sequence[int],
    pools: dict[int, Sequence[int]],
    conflicts: set[tuple[int, int]],
    per_department: dict[int, int],
    seed: str,
) -> dict[int, list[tuple[int, int]]]:
    """Match inspectors to targets at random, spreading the load evenly.

    Each department's eligible inspectors, sorted by id, are shuffled with
    ``random.Random(int(seed))`` and dealt out in that order, target by target
    in draw order; when the order is used up it is shuffled again. An
    inspector with a declared conflict with the target (or already on it) is
    passed over for the next one in the order and stays first in line. So
    every inspector gets a turn before anyone gets a second. Returns target id
    -> [(inspector id, department id)]; raises RuleError when a target cannot
    be staffed.
    """
    rng = random.Random(int(seed))
    for department, need in per_department.items():
        if len(pools.get(department, ())) < need:
            raise RuleError(
                N_(
                    "Department %(department)s has %(have)s eligible inspectors; "
                    "each target needs %(need)s of them."
                ),
                field="inspectors",
                department=department,
                have=len(pools.get(department, ())),
                need=need,
            )
    decks, distinct = {}, {}
    for department in per_department:
        order = sorted(pools[department])
        rng.shuffle(order)
        decks[department] = [order, 0]
        distinct[department] = len(set(order)) == len(order)
    conflicted = {target for _inspector, target in conflicts}

    result: dict[int, list[tuple[int, int]]] = {}
    for target in target_ids:
        chosen: list[tuple[int, int]] = []
        clear = target not in conflicted
        for department, need in per_department.items():
            deck = decks[department]
            order, position = deck
            end = position + need
            if clear and end <= len(order) and distinct[department]:
                # What dealing one by one gives when nobody is passed over and
                # the order lasts: the next `need` in line, without the calls.
                chosen.extend(
                    [(inspector, department) for inspector in order[position:end]]
                )
                deck[1] = end
                continue
            taken: list[int] = []
            while len(taken) < need:
                inspector = _deal(deck, target, taken, conflicts, rng)
                if inspector is None:
                    raise RuleError(
                        N_(
                            "Target %(target)s cannot be given %(need)s inspectors "
                            "of department %(department)s without a conflict of "
                            "interest."
                        ),
                        field="inspectors",
                        target=target,
                        need=need,
                        department=department,
                    )
                taken.append(inspector)
            chosen.extend((inspector, department) for inspector in taken)
        result[target] = chosen
    return result


def _deal(deck, target, taken, conflicts, rng) -> int | None:
    """The next inspector of a deck who may inspect `target`, or None."""
    order, position = deck
    for attempt in range(2):
        for j in range(position, len(order)):
            inspector = order[j]
            if inspector in taken or (conflicts and (inspector, target) in conflicts):
                continue
            # Swap the dealt one forward so those passed over stay first in line.
            order[position], order[j] = order[j], order[position]
            deck[1] = position + 1
            return inspector
        if attempt == 0:
            rng.shuffle(order)
            position = 0
    return None


@dataclass(frozen=True)
class Eligibility:
    """What an inspector must be to be matched to a task's department."""

    required: frozenset[str]

    def admits(self, active: bool, qualifications: frozenset[str]) -> bool:
        """Active, and holding every qualification the department's items need."""
        return active and self.required <= qualifications
