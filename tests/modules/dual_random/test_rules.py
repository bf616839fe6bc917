"""The policy rules at their boundaries, without a database."""

from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

import pytest

from modules.dual_random import rules


def test_ratio_of_one_is_accepted():
    assert rules.check_ratio(Decimal("1")) == Decimal("1")


@pytest.mark.parametrize("ratio", ["0", "-0.1", "1.0001"])
def test_ratio_outside_zero_to_one_is_refused(ratio):
    with pytest.raises(rules.RuleError) as error:
        rules.check_ratio(Decimal(ratio))
    assert error.value.field == "sample_ratio"


def test_sample_equal_to_population_is_accepted():
    assert rules.sample_size(10, 10, None) == 10


def test_sample_larger_than_population_is_refused():
    with pytest.raises(rules.RuleError) as error:
        rules.sample_size(10, 11, None)
    assert error.value.values == {"size": 11, "population": 10}


def test_sample_ratio_rounds_up():
    assert rules.sample_size(1_000_001, None, Decimal("0.05")) == 50_001


def test_sample_needs_count_or_ratio_not_both():
    with pytest.raises(rules.RuleError):
        rules.sample_size(10, 2, Decimal("0.5"))


def test_empty_population_is_refused():
    with pytest.raises(rules.RuleError):
        rules.sample_size(0, None, Decimal("0.5"))


def test_allocate_count_by_largest_remainder():
    assert rules.allocate([5, 3, 2], 5, None) == [3, 1, 1]


def test_allocate_ratio_per_stratum_rounds_up():
    assert rules.allocate([5, 3, 2], None, Decimal("0.5")) == [3, 2, 1]


def test_key_share_at_limit_is_within():
    assert rules.key_share_within_limit(1, 5, Decimal("0.2"))


def test_key_share_above_limit_is_not_within():
    assert not rules.key_share_within_limit(2, 9, Decimal("0.2"))


def test_department_plan_due_end_of_december_before():
    assert rules.department_plan_due(2027) == date(2026, 12, 31)


def test_joint_plan_due_end_of_january():
    assert rules.joint_plan_due(2027) == date(2027, 1, 31)


def test_publication_deadline_adds_twenty_working_days():
    def weekdays(start, n):
        day = start
        while n:
            day += timedelta(days=1)
            n -= day.weekday() < 5
        return day

    assert rules.publication_deadline(date(2026, 6, 1), weekdays) == date(2026, 6, 29)


def test_publication_on_deadline_day_is_not_overdue():
    assert not rules.publication_overdue(date(2026, 6, 29), date(2026, 6, 29), False)


def test_publication_day_after_deadline_is_overdue():
    assert rules.publication_overdue(date(2026, 6, 29), date(2026, 6, 30), False)


STRATA = [("", list(range(100, 200)))]


def test_same_seed_gives_same_draw():
    assert rules.draw(STRATA, 10, None, "42") == rules.draw(STRATA, 10, None, "42")


def test_other_seed_gives_other_draw():
    assert rules.draw(STRATA, 10, None, "42") != rules.draw(STRATA, 10, None, "43")


def test_draw_is_random_sample_of_stock_python():
    import random

    expected = [100 + p for p in random.Random(7).sample(range(100), 5)]
    assert [t for t, _ in rules.draw(STRATA, 5, None, "7")] == expected


def test_draw_takes_from_every_stratum_in_proportion():
    strata = [("b", [1, 2, 3, 4, 5, 6]), ("a", [7, 8, 9])]
    drawn = rules.draw(strata, 3, None, "1")
    assert Counter(key for _, key in drawn) == {"b": 2, "a": 1}
    assert drawn[0][1] == "a"  # strata are walked in key order


def test_draw_is_uniform():
    """Chi-square over 20,000 draws of 5 from 50 with seeds 0..19,999."""
    population = list(range(50))
    counts = Counter()
    draws = 20_000
    for seed in range(draws):
        counts.update(t for t, _ in rules.draw([("", population)], 5, None, str(seed)))
    expected = draws * 5 / 50
    chi2 = sum((counts[i] - expected) ** 2 / expected for i in population)
    # 49 degrees of freedom: the 99.9th percentile of chi-square is 85.4.
    assert chi2 < 85.4
    assert min(counts.values()) > 0


def test_seats_single_department_sends_two():
    assert rules.seats([7], 2) == {7: 2}


def test_seats_joint_task_takes_one_from_each():
    assert rules.seats([7, 8, 9], 2) == {7: 1, 8: 1, 9: 1}


def test_seats_extra_inspectors_go_round():
    assert rules.seats([7, 8], 3) == {7: 2, 8: 1}


def test_match_never_takes_conflicted_inspector():
    targets = list(range(1, 101))
    conflicts = {(1, t) for t in targets[::2]} | {(2, t) for t in targets[1::2]}
    matched = rules.match(targets, {9: [1, 2, 3, 4]}, conflicts, {9: 2}, "5")
    for target, pairs in matched.items():
        assert all((i, target) not in conflicts for i, _ in pairs)
        assert len({i for i, _ in pairs}) == 2


def test_match_spreads_load_evenly():
    targets = list(range(1, 101))
    matched = rules.match(targets, {9: list(range(1, 11))}, set(), {9: 2}, "5")
    load = Counter(i for pairs in matched.values() for i, _ in pairs)
    assert max(load.values()) - min(load.values()) <= 1


def test_match_is_reproducible_from_seed():
    args = (list(range(1, 30)), {9: [1, 2, 3, 4, 5]}, set(), {9: 2})
    assert rules.match(*args, "11") == rules.match(*args, "11")


def test_match_refuses_pool_smaller_than_seats():
    with pytest.raises(rules.RuleError) as error:
        rules.match([1], {9: [1]}, set(), {9: 2}, "1")
    assert error.value.field == "inspectors"


def test_match_refuses_target_that_only_conflicted_inspectors_could_take():
    with pytest.raises(rules.RuleError):
        rules.match([5], {9: [1, 2]}, {(1, 5)}, {9: 2}, "1")


def test_eligibility_needs_every_qualification():
    rule = rules.Eligibility(frozenset({"food", "price"}))
    assert rule.admits(True, frozenset({"food", "price", "drug"}))
    assert not rule.admits(True, frozenset({"food"}))
    assert not rule.admits(False, frozenset({"food", "price"}))


def test_fingerprint_is_sha256_of_packed_ids():
    import hashlib

    packed = (1).to_bytes(8, "little") + (22).to_bytes(8, "little")
    assert rules.fingerprint([1, 22]) == hashlib.sha256(packed).hexdigest()


def test_match_gives_everyone_a_turn_before_a_second():
    matched = rules.match(
        list(range(1, 6)), {9: list(range(1, 11))}, set(), {9: 2}, "3"
    )
    first_round = [i for t in range(1, 6) for i, _ in matched[t]]
    assert sorted(first_round) == list(range(1, 11))


def test_recorded_match_and_draw_stay_the_same():
    """Published draws are re-run by anyone: the outputs of a seed never change."""
    matched = rules.match(
        [7, 3, 9, 1, 12, 5, 8],
        {4: [21, 22, 23, 24], 6: [31, 32]},
        {(21, 9), (22, 9), (31, 12), (23, 1)},
        {4: 2, 6: 1},
        "20261203",
    )
    drawn = rules.draw(
        [("b", list(range(10, 30))), ("a", [1, 2, 3, 4, 5])], 6, None, "314159"
    )

    assert matched == {
        7: [(24, 4), (23, 4), (31, 6)],
        3: [(21, 4), (22, 4), (32, 6)],
        9: [(24, 4), (23, 4), (31, 6)],
        1: [(22, 4), (21, 4), (32, 6)],
        12: [(22, 4), (21, 4), (32, 6)],
        5: [(24, 4), (23, 4), (31, 6)],
        8: [(22, 4), (23, 4), (32, 6)],
    }
    assert drawn == [(2, "a"), (18, "b"), (19, "b"), (13, "b"), (27, "b"), (28, "b")]
