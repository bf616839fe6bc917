"""Services: applications, the flow, change control, funds and reminders."""

from datetime import date

import pytest
from sqlalchemy import func, select

from core.errors import Forbidden, InvalidInput, NotFound, RuleViolation
from modules.it_projects import services
from modules.it_projects.models import (
    CallReminder,
    ChangeRequest,
    ItProject,
    ProjectFunding,
    ProjectStep,
)
from modules.it_projects.rules import Action, Status
from tests.modules.it_projects.conftest import (
    CALL_DAY,
    STEPS_TO_APPROVAL,
    application,
)


def count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_apply_files_a_submitted_project_with_its_scope_reasons(create_project):
    project = create_project()

    assert project.status == Status.SUBMITTED
    assert project.scope_reasons == [
        "public_funds",
        "public_concern",
        "software_over_threshold",
    ]
    assert project.plan_year == 2026
    assert len(project.documents) == 4


def test_apply_software_exactly_50000_yuan_is_refused(db, create_project):
    with pytest.raises(RuleViolation) as caught:
        create_project(software_development_fen=50_000_00)

    assert caught.value.article == "art. 3"
    assert "scope" in caught.value.errors
    assert count(db, ItProject) == 0


def test_apply_software_50001_yuan_is_accepted(create_project):
    project = create_project(software_development_fen=50_001_00)

    assert "software_over_threshold" in project.scope_reasons


def test_apply_integration_exactly_100000_yuan_is_refused(db, create_project):
    with pytest.raises(RuleViolation):
        create_project(software_development_fen=0, system_integration_fen=100_000_00)

    assert count(db, ItProject) == 0


def test_apply_integration_100001_yuan_is_accepted(create_project):
    project = create_project(
        software_development_fen=0, system_integration_fen=100_001_00
    )

    assert "integration_over_threshold" in project.scope_reasons


def test_apply_secrecy_project_is_refused(db, create_project):
    with pytest.raises(RuleViolation) as caught:
        create_project(secrecy=True)

    assert caught.value.article == "art. 3"
    assert str(services.SCOPE_REASONS["secrecy_excluded"]) in caught.value.detail
    assert count(db, ItProject) == 0


def test_apply_missing_document_is_refused_with_a_field_message(db, create_project):
    documents = [d for d in application()["documents"] if d["kind"] != "funding_plan"]

    with pytest.raises(InvalidInput) as caught:
        create_project(documents=documents)

    assert list(caught.value.errors) == ["documents"]
    assert count(db, ItProject) == 0


def test_apply_missing_data_needs_is_refused(db, create_project):
    with pytest.raises(InvalidInput) as caught:
        create_project(data_needs=" ")

    assert "data_needs" in caught.value.errors


def test_apply_estimate_below_its_parts_is_refused(db, create_project):
    with pytest.raises(InvalidInput) as caught:
        create_project(investment_estimate_fen=79_999_99)

    assert "investment_estimate" in caught.value.errors


def test_apply_annual_outside_the_call_is_refused(db, people, create_call):
    create_call()

    with pytest.raises(RuleViolation) as caught:
        services.apply(
            people["applicant"], application(applied_on=date(2025, 9, 1)), CALL_DAY
        )

    assert caught.value.article == "art. 7(1)"
    assert count(db, ItProject) == 0


def test_apply_urgent_outside_the_call_is_accepted(people, db):
    documents = application()["documents"] + [
        {"kind": "urgency_basis", "title": "省政府通知"}
    ]

    project = services.apply(
        people["applicant"],
        application(
            kind="urgent",
            applied_on=date(2026, 3, 2),
            urgency_basis="省政府要求年内上线",
            documents=documents,
        ),
        date(2026, 3, 2),
    )

    assert project.kind == "urgent"
    assert project.call is None


def test_apply_urgent_without_its_basis_is_refused(people, db):
    with pytest.raises(InvalidInput) as caught:
        services.apply(
            people["applicant"],
            application(kind="urgent", applied_on=date(2026, 3, 2)),
            date(2026, 3, 2),
        )

    assert {"urgency_basis", "documents"} <= set(caught.value.errors)


def test_apply_without_permission_is_forbidden(people, create_call):
    create_call()

    with pytest.raises(Forbidden):
        services.apply(people["viewer"], application(), CALL_DAY)


def test_apply_flags_separate_servers_but_accepts_exceptions(create_project):
    project = create_project(facilities=["server", "front_end_switch"])

    assert project.platform_flags == ["server"]
    assert project.facilities == ["front_end_switch", "server"]


def test_initial_review_of_a_flagged_project_needs_an_opinion(create_project, people):
    project = create_project(facilities=["private_network"])

    with pytest.raises(InvalidInput) as caught:
        services.decide(
            people["reviewer"],
            project.id,
            Action.INITIAL_REVIEW,
            {"decided_on": date(2025, 9, 1), "approved": True, "opinion": ""},
        )

    assert "opinion" in caught.value.errors


def test_decide_records_actor_date_and_opinion(create_project, people):
    project = create_project()

    project = services.decide(
        people["reviewer"],
        project.id,
        Action.INITIAL_REVIEW,
        {"decided_on": date(2025, 9, 1), "approved": True, "opinion": "符合规划"},
    )

    step = project.steps[-1]
    assert project.status == Status.INITIALLY_REVIEWED
    assert (step.action, step.actor_name, step.opinion) == (
        "initial_review",
        people["reviewer"].username,
        "符合规划",
    )
    assert step.actor_department.name == "市行政审批服务局"


def test_decide_by_the_wrong_bureau_is_forbidden(create_project, people):
    project = create_project()

    with pytest.raises(Forbidden):
        services.decide(
            people["finance"],
            project.id,
            Action.INITIAL_REVIEW,
            {"decided_on": date(2025, 9, 1)},
        )


def test_initial_review_refusal_rejects_the_project(create_project, people):
    project = services.decide(
        people["reviewer"],
        create_project().id,
        Action.INITIAL_REVIEW,
        {"decided_on": date(2025, 9, 1), "approved": False, "opinion": "重复建设"},
    )

    assert project.status == Status.REJECTED


def test_refusal_without_a_reason_is_refused(create_project, people):
    with pytest.raises(InvalidInput) as caught:
        services.decide(
            people["reviewer"],
            create_project().id,
            Action.INITIAL_REVIEW,
            {"decided_on": date(2025, 9, 1), "approved": False},
        )

    assert "opinion" in caught.value.errors


def test_decision_dated_before_the_last_step_is_refused(create_project, people):
    with pytest.raises(InvalidInput) as caught:
        services.decide(
            people["reviewer"],
            create_project().id,
            Action.INITIAL_REVIEW,
            {"decided_on": date(2025, 8, 14)},
        )

    assert "decided_on" in caught.value.errors


def test_project_approval_fixes_the_baseline(approved_project):
    assert approved_project.status == Status.APPROVED
    assert approved_project.approved_on == date(2025, 9, 1)
    assert approved_project.baseline_investment_fen == 120_000_00
    assert approved_project.approved_investment_fen == 120_000_00
    assert approved_project.baseline_scope == "政务服务数据共享"


def test_project_approval_without_its_document_is_refused(create_project, advance):
    project = advance(create_project(), STEPS_TO_APPROVAL[:4])

    with pytest.raises(InvalidInput) as caught:
        advance(project, [("planner", Action.APPROVE_PROJECT, {})])

    assert "documents" in caught.value.errors


def test_urgent_project_goes_to_finance_without_the_draft_plan(people, db, advance):
    documents = application()["documents"] + [
        {"kind": "urgency_basis", "title": "省政府通知"}
    ]
    project = services.apply(
        people["applicant"],
        application(
            kind="urgent",
            applied_on=date(2026, 3, 2),
            urgency_basis="省政府要求",
            documents=documents,
        ),
        date(2026, 3, 2),
    )
    project = advance(
        project,
        [
            ("reviewer", Action.INITIAL_REVIEW, {}),
            ("finance", Action.CONFIRM_FUNDS, {}),
        ],
        on=date(2026, 3, 3),
    )

    assert project.status == Status.FUNDS_CONFIRMED


def plan_submission():
    return {
        "amount_fen": 110_000_00,
        "documents": [
            {"kind": "construction_plan", "title": "建设方案"},
            {"kind": "design_estimate", "title": "投资概算"},
        ],
    }


def start_review(project, advance, day, experts=False):
    project = advance(
        project, [("applicant", Action.SUBMIT_CONSTRUCTION_PLAN, plan_submission())]
    )
    return advance(
        project,
        [("reviewer", Action.START_TECHNICAL_REVIEW, {"experts": experts})],
        on=day,
    )


def test_technical_review_before_spring_festival_ends_after_10_working_days(
    approved_project, advance
):
    # 2026-02-14 is the make-up working day before the 15–23 February holiday.
    project = start_review(approved_project, advance, date(2026, 2, 14))

    assert project.review_started_on == date(2026, 2, 14)
    assert project.review_due_on == date(2026, 3, 6)


def test_technical_review_with_experts_before_spring_festival_gets_20_days(
    approved_project, advance
):
    project = start_review(approved_project, advance, date(2026, 2, 14), experts=True)

    assert project.review_due_on == date(2026, 3, 20)


def test_technical_review_decision_after_the_state_was_left_is_refused(
    db, approved_project, advance, people
):
    project = start_review(approved_project, advance, date(2025, 10, 8))
    project = advance(project, [("reviewer", Action.TECHNICAL_REVIEW, {})])
    steps = count(db, ProjectStep)

    with pytest.raises(RuleViolation) as caught:
        services.decide(
            people["reviewer"],
            project.id,
            Action.TECHNICAL_REVIEW,
            {"decided_on": date(2025, 10, 9)},
        )

    assert "status" in caught.value.errors
    assert count(db, ProjectStep) == steps
    assert db.session.get(ItProject, project.id).status == Status.BUDGET_REVIEW


def test_technical_review_returned_goes_back_to_the_unit(approved_project, advance):
    project = start_review(approved_project, advance, date(2025, 10, 8))

    project = advance(
        project,
        [("reviewer", Action.TECHNICAL_REVIEW, {"approved": False})],
        on=date(2025, 10, 9),
    )

    assert project.status == Status.APPROVED
    assert project.review_due_on is None


def to_budget_review(project, advance):
    project = start_review(project, advance, date(2025, 10, 8))
    return advance(project, [("reviewer", Action.TECHNICAL_REVIEW, {})])


def test_budget_review_over_the_approved_investment_is_refused(
    approved_project, advance
):
    project = to_budget_review(approved_project, advance)

    with pytest.raises(RuleViolation) as caught:
        advance(
            project, [("finance", Action.BUDGET_REVIEW, {"amount_fen": 120_000_01})]
        )

    assert caught.value.article == "art. 10"


def to_procurement(project, advance):
    project = to_budget_review(project, advance)
    return advance(
        project, [("finance", Action.BUDGET_REVIEW, {"amount_fen": 100_000_00})]
    )


def procurement(amount, **extra):
    return {
        "amount_fen": amount,
        "procurement_method": "tender",
        "supplier": "湖南某软件公司",
        "responsible_person": "王工",
        "documents": [{"kind": "contract", "title": "合同"}],
        **extra,
    }


def test_procurement_over_the_approved_budget_is_refused_and_writes_nothing(
    db, approved_project, advance
):
    project = to_procurement(approved_project, advance)
    steps = count(db, ProjectStep)

    with pytest.raises(RuleViolation) as caught:
        advance(project, [("applicant", Action.PROCUREMENT, procurement(100_000_01))])

    assert "amount" in caught.value.errors
    assert count(db, ProjectStep) == steps
    assert db.session.get(ItProject, project.id).procurement_amount_fen is None


def test_procurement_at_the_budget_names_the_responsible_person(
    approved_project, advance
):
    project = to_procurement(approved_project, advance)

    project = advance(
        project, [("applicant", Action.PROCUREMENT, procurement(100_000_00))]
    )

    assert project.status == Status.IMPLEMENTATION
    assert project.responsible_person == "王工"


def test_procurement_without_a_responsible_person_is_refused(approved_project, advance):
    project = to_procurement(approved_project, advance)

    with pytest.raises(InvalidInput) as caught:
        advance(
            project,
            [
                (
                    "applicant",
                    Action.PROCUREMENT,
                    procurement(90_000_00, responsible_person=""),
                )
            ],
        )

    assert "responsible_person" in caught.value.errors


def test_acceptance_of_a_large_project_without_third_party_test_is_refused(
    create_project, advance
):
    project = advance(create_project(large_or_specialised=True), STEPS_TO_APPROVAL)
    project = to_procurement(project, advance)
    project = advance(
        project, [("applicant", Action.PROCUREMENT, procurement(90_000_00))]
    )
    report = [{"kind": "acceptance_report", "title": "验收报告"}]

    with pytest.raises(InvalidInput) as caught:
        advance(project, [("applicant", Action.ACCEPTANCE, {"documents": report})])

    assert "documents" in caught.value.errors


def test_change_request_takes_effect_only_when_approved(approved_project, people):
    change = services.request_change(
        people["applicant"],
        approved_project.id,
        {
            "requested_on": date(2025, 9, 10),
            "reason": "增加电子证照接口",
            "new_investment_fen": 150_000_00,
        },
    )

    assert approved_project.approved_investment_fen == 120_000_00

    services.decide_change(
        people["planner"],
        change.id,
        {"decided_on": date(2025, 9, 12), "approved": True},
    )

    assert approved_project.approved_investment_fen == 150_000_00
    assert approved_project.baseline_investment_fen == 120_000_00
    assert change.before_investment_fen == 120_000_00


def test_change_request_refused_leaves_the_project_alone(approved_project, people):
    change = services.request_change(
        people["applicant"],
        approved_project.id,
        {"requested_on": date(2025, 9, 10), "reason": "扩大范围", "new_scope": "全市"},
    )

    services.decide_change(
        people["planner"],
        change.id,
        {"decided_on": date(2025, 9, 12), "approved": False, "opinion": "不符合规划"},
    )

    assert change.status == "refused"
    assert approved_project.scope_description == "政务服务数据共享"


def test_change_request_before_approval_is_refused(db, create_project, people):
    with pytest.raises(RuleViolation):
        services.request_change(
            people["applicant"],
            create_project().id,
            {"requested_on": date(2025, 9, 10), "reason": "x", "new_scope": "全市"},
        )

    assert count(db, ChangeRequest) == 0


def test_second_pending_change_request_is_refused(approved_project, people):
    data = {"requested_on": date(2025, 9, 10), "reason": "x", "new_scope": "全市"}
    services.request_change(people["applicant"], approved_project.id, data)

    with pytest.raises(RuleViolation):
        services.request_change(
            people["applicant"], approved_project.id, {**data, "new_scope": "全省"}
        )


def test_funding_a_never_approved_project_is_refused(db, create_project, people):
    project = create_project()

    with pytest.raises(RuleViolation) as caught:
        services.record_funding(
            people["finance"],
            project.id,
            {"amount_fen": 10_000_00, "paid_on": date(2025, 9, 2)},
        )

    assert caught.value.article == "art. 14"
    assert count(db, ProjectFunding) == 0


def test_funding_an_approved_project_is_recorded(approved_project, people):
    services.record_funding(
        people["finance"],
        approved_project.id,
        {"amount_fen": 120_000_00, "paid_on": date(2025, 9, 2)},
    )

    assert approved_project.funded_fen == 120_000_00


def test_funding_beyond_the_approved_investment_is_refused(approved_project, people):
    with pytest.raises(RuleViolation):
        services.record_funding(
            people["finance"],
            approved_project.id,
            {"amount_fen": 120_000_01, "paid_on": date(2025, 9, 2)},
        )


def test_another_countys_project_is_not_found(create_project, people):
    project = create_project()

    with pytest.raises(NotFound):
        services.request_change(
            people["other_applicant"],
            project.id,
            {"requested_on": date(2025, 9, 10), "reason": "x", "new_scope": "y"},
        )


def test_call_for_a_plan_year_twice_is_refused(create_call):
    create_call()

    with pytest.raises(InvalidInput) as caught:
        create_call()

    assert "plan_year" in caught.value.errors


def test_call_dates_are_configurable(create_call):
    call = create_call(opens_on=date(2025, 8, 5), closes_on=date(2025, 9, 5))

    assert services.open_call(date(2025, 9, 5)) == call
    assert services.open_call(date(2025, 8, 4)) is None


def reminders(db, kind):
    return db.session.scalars(
        select(CallReminder).where(CallReminder.kind == kind)
    ).all()


def test_call_reminders_reach_every_department_once(db, city, bureaus, create_call):
    create_call()

    first = services.send_call_reminders(date(2025, 8, 1))
    again = services.send_call_reminders(date(2025, 8, 2))

    departments = {r.department_id for r in reminders(db, "call_opened")}
    assert first == len(departments) == len(city) + len(bureaus)
    assert again == 0
    assert reminders(db, "call_closing") == []


def test_call_closing_reminder_goes_out_a_week_before(db, city, bureaus, create_call):
    create_call()

    services.send_call_reminders(date(2025, 8, 23))
    assert reminders(db, "call_closing") == []

    services.send_call_reminders(date(2025, 8, 24))
    assert len(reminders(db, "call_closing")) == len(city) + len(bureaus)


def test_call_reminders_wait_for_the_call_to_open(db, create_call):
    create_call()

    assert services.send_call_reminders(date(2025, 7, 31)) == 0


def test_review_reminders_go_to_reviewers_near_the_limit(
    db, approved_project, advance, bureaus
):
    project = start_review(approved_project, advance, date(2025, 10, 8))

    assert services.send_review_reminders(date(2025, 10, 9)) == 0
    sent = services.send_review_reminders(project.review_due_on)

    departments = {r.department_id for r in reminders(db, "review_due")}
    assert sent == 2
    assert departments == {bureaus["spj"].id, project.department_id}


def test_call_reminders_are_mailed_to_departments_with_an_address(
    db, city, bureaus, create_call
):
    from core.models.scheduling import OutboxMessage

    city["lusong"].contact_emails = "xinxihua@lusong.gov.cn"
    db.session.commit()
    create_call()

    services.send_call_reminders(date(2025, 8, 1))
    services.send_call_reminders(date(2025, 8, 2))

    messages = db.session.scalars(select(OutboxMessage)).all()
    assert [m.recipients for m in messages] == ["xinxihua@lusong.gov.cn"]
    assert "2025-08-31" in messages[0].subject or "2025" in messages[0].subject
