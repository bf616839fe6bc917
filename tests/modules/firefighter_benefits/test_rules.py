"""The policy as plain functions, at every boundary."""

from datetime import date

import pytest

from modules.firefighter_benefits import rules
from modules.firefighter_benefits.rules import DEFAULT_RULES, Person, evaluate

START = date(2024, 3, 10)


def ask(category, benefit, on, start=START, **kwargs):
    return evaluate(Person(category, start), benefit, list(DEFAULT_RULES), on, **kwargs)


def test_anniversary_of_ordinary_date():
    assert rules.anniversary(date(2024, 3, 10), 2) == date(2026, 3, 10)


def test_anniversary_of_29_february_in_common_year_is_28_february():
    assert rules.anniversary(date(2024, 2, 29), 2) == date(2026, 2, 28)


def test_anniversary_of_29_february_in_leap_year_is_29_february():
    assert rules.anniversary(date(2024, 2, 29), 4) == date(2028, 2, 29)


@pytest.mark.parametrize("benefit", ["school_enrollment", "hukou"])
def test_full_time_day_before_second_anniversary_not_eligible(benefit):
    answer = ask("full_time", benefit, date(2026, 3, 9))

    assert not answer.eligible
    assert answer.reason == "service_too_short"
    assert answer.eligible_from == date(2026, 3, 10)


@pytest.mark.parametrize("benefit", ["school_enrollment", "hukou"])
def test_full_time_on_second_anniversary_eligible(benefit):
    answer = ask("full_time", benefit, date(2026, 3, 10))

    assert answer.eligible
    assert answer.eligible_from == date(2026, 3, 10)


def test_29_february_start_eligible_on_28_february_two_years_on():
    start = date(2024, 2, 29)

    assert not ask("full_time", "hukou", date(2026, 2, 27), start=start).eligible
    assert ask("full_time", "hukou", date(2026, 2, 28), start=start).eligible


def test_civilian_staff_hukou_after_two_years():
    assert not ask("civilian_staff", "hukou", date(2026, 3, 9)).eligible
    assert ask("civilian_staff", "hukou", date(2026, 3, 10)).eligible


def test_civilian_staff_never_on_school_list():
    answer = ask("civilian_staff", "school_enrollment", date(2040, 1, 1))

    assert not answer.eligible
    assert answer.reason == "category_not_covered"
    assert answer.section == "2(3)3"


@pytest.mark.parametrize(
    "benefit", ["hukou", "school_enrollment", "family_employment", "transit"]
)
def test_establishment_eligible_in_first_month(benefit):
    start = date(2026, 6, 1)

    answer = ask("establishment", benefit, date(2026, 6, 15), start=start)

    assert answer.eligible


def test_establishment_not_eligible_before_service_start():
    answer = ask("establishment", "hukou", date(2026, 5, 31), start=date(2026, 6, 1))

    assert answer.reason == "not_yet_serving"
    assert answer.eligible_from == date(2026, 6, 1)


def test_family_employment_only_for_establishment():
    assert ask("full_time", "family_employment", date(2040, 1, 1)).reason == (
        "category_not_covered"
    )


def test_work_injury_insurance_only_for_establishment():
    assert ask("establishment", "work_injury_insurance", START).eligible
    assert not ask("civilian_staff", "work_injury_insurance", START).eligible


def test_medical_insurance_for_full_time_and_civilian_staff_only():
    assert ask("civilian_staff", "medical_insurance", START).eligible
    assert not ask("establishment", "medical_insurance", START).eligible


def test_unknown_benefit_refused():
    assert ask("full_time", "spa", START).reason == "unknown_benefit"


def test_credential_benefit_refused_without_valid_credential():
    answer = ask("full_time", "transit", START, credential_valid=False)

    assert answer.reason == "no_valid_credential"


def test_left_firefighter_not_eligible_from_leaving_date():
    person = Person("establishment", START, "left", date(2025, 1, 1))

    before = evaluate(person, "hukou", list(DEFAULT_RULES), date(2024, 12, 31))
    after = evaluate(person, "hukou", list(DEFAULT_RULES), date(2025, 1, 1))

    assert before.eligible
    assert after.reason == "not_serving"


def test_rule_rows_are_data_a_new_row_adds_civilian_staff_to_school_list():
    extra = rules.RuleRow("school_enrollment", ("civilian_staff",), 3, "new notice")
    person = Person("civilian_staff", START)

    answer = evaluate(
        person, "school_enrollment", [*DEFAULT_RULES, extra], date(2027, 3, 10)
    )

    assert answer.eligible
    assert answer.section == "new notice"


def test_credential_valid_on_expiry_day_and_expired_day_after():
    issued, expires = date(2025, 1, 1), date(2026, 6, 30)

    assert rules.credential_state(issued, expires, None, date(2026, 6, 30)) == "valid"
    assert rules.credential_state(issued, expires, None, date(2026, 7, 1)) == "expired"


def test_credential_revoked_from_revocation_day():
    issued, expires = date(2025, 1, 1), date(2027, 1, 1)

    assert rules.credential_state(
        issued, expires, date(2026, 1, 2), date(2026, 1, 1)
    ) == ("valid")
    assert rules.credential_state(
        issued, expires, date(2026, 1, 2), date(2026, 1, 2)
    ) == ("revoked")


def test_credential_not_valid_before_issue():
    state = rules.credential_state(
        date(2026, 1, 1), date(2027, 1, 1), None, date(2025, 12, 31)
    )

    assert state == "not_yet_valid"


def test_school_stage_primary_at_six_on_31_august():
    assert rules.school_stage(date(2020, 8, 31), 2026) == "primary"
    assert rules.school_stage(date(2020, 9, 1), 2026) is None


def test_school_stage_junior_middle_at_twelve():
    assert rules.school_stage(date(2014, 8, 31), 2026) == "junior_middle"


def test_list_due_31_march_and_later_names_go_to_next_year():
    assert rules.enrollment_year_for(2026, date(2026, 3, 31), False) == 2026
    assert rules.enrollment_year_for(2026, date(2026, 4, 1), False) == 2027


def test_exception_keeps_late_name_on_this_year_list():
    assert rules.enrollment_year_for(2026, date(2026, 4, 1), True) == 2026


def test_service_start_in_future_refused():
    assert rules.check_service_start(
        date(2026, 6, 16), date(1995, 1, 1), date(2026, 6, 15)
    ) == ("in_future")


def test_service_start_on_16th_birthday_accepted_day_before_refused():
    born = date(2000, 5, 5)

    assert rules.check_service_start(date(2016, 5, 5), born, date(2026, 1, 1)) == ""
    assert rules.check_service_start(date(2016, 5, 4), born, date(2026, 1, 1)) == (
        "before_16"
    )


def test_mask_name_keeps_first_character():
    assert rules.mask_name("李振华") == "李**"
