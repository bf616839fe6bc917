"""Services: registration, clocks, stages, documents, commitments and more."""

from datetime import date

import pytest
from sqlalchemy import func, select

from core.errors import Conflict, InvalidInput, RuleViolation
from core.models import CreditKind, CreditRecord
from modules.approval_reform import services
from modules.approval_reform.models import (
    Category,
    ClockPause,
    CommitmentStatus,
    Document,
    EscalationKind,
    InvestmentType,
    Project,
    ProjectStatus,
    SideApprovalKind,
    StageKind,
    StageStatus,
)
from tests.modules.approval_reform.conftest import facts


def count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_register_project_small_three_stages(create_project):
    project = create_project()

    assert project.is_small_project
    assert project.time_limit_working_days == 50
    assert [s.kind for s in project.stages] == [
        StageKind.ENGINEERING_PERMIT,
        StageKind.CONSTRUCTION_PERMIT,
        StageKind.COMPLETION_ACCEPTANCE,
    ]
    assert project.stages[0].status == StageStatus.OPEN
    assert project.stages[0].lead_department.code == "zrzyj"


def test_register_project_land_sold_with_plan_merged(create_project):
    project = create_project(
        category=Category.LAND_SOLD_WITH_PLAN.value, has_basement=True
    )

    assert project.time_limit_working_days == 40
    assert [s.kind for s in project.stages] == [
        StageKind.PROJECT_LAND_USE_PERMIT,
        StageKind.ENGINEERING_CONSTRUCTION_PERMIT,
        StageKind.COMPLETION_ACCEPTANCE,
    ]
    assert project.stages[0].lead_department.code == "fgw"


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"building_area_m2": -1}, "building_area_m2"),
        ({"height_m": None}, "height_m"),
        ({"floors": -2}, "floors"),
        ({"floors": None}, "floors"),
        ({"category": "skyscraper"}, "category"),
        ({"investment_type": "government"}, "investment_type"),
    ],
)
def test_register_project_bad_facts_write_nothing(db, create_project, changes, field):
    with pytest.raises(InvalidInput) as caught:
        create_project(**changes)

    assert field in caught.value.errors
    db.session.rollback()
    assert count(db, Project) == 0


def test_exempt_project_records_reason(db, create_project, staff):
    project = create_project(has_basement=True)

    services.exempt_project(
        staff["spj"], project, "跨区域重大枢纽工程", date(2026, 3, 3)
    )

    assert project.is_exempt and project.time_limit_working_days is None
    assert project.exemption_reason == "跨区域重大枢纽工程"
    assert "ar-spj" in project.exemption_decided_by


def test_exempt_project_without_reason_refused(create_project, staff):
    project = create_project()

    with pytest.raises(InvalidInput):
        services.exempt_project(staff["spj"], project, " ", date(2026, 3, 3))
    assert not project.is_exempt


def test_clock_paused_across_national_day(db, create_project, create_item, staff):
    create_item("E1", time_limit_working_days=5)
    project = create_project(registered_on=date(2025, 9, 26))
    stage = project.stages[0]

    services.pause_clock(
        staff["zrzyj"], stage, "applicant", "补正规划设计方案", date(2025, 9, 29)
    )
    paused = services.stage_clock(stage, date(2025, 10, 8))
    services.resume_clock(staff["zrzyj"], stage, date(2025, 10, 10))
    clock = services.stage_clock(stage, date(2025, 10, 10))

    # Sep 28 (make-up Sunday) and Sep 29 ran; Sep 30, Oct 9 and 10 stood still.
    assert paused.is_paused and paused.elapsed == 2
    assert clock.elapsed == 2 and clock.paused == 3
    # 5 + 3 working days after Sep 26: Oct 11 is a make-up Saturday.
    assert clock.deadline == date(2025, 10, 14)
    assert clock.confirmed


def test_clock_without_pause_over_national_day(create_project, create_item):
    create_item("E1", time_limit_working_days=5)
    project = create_project(registered_on=date(2025, 9, 26))

    clock = services.stage_clock(project.stages[0], date(2025, 10, 9))

    assert clock.deadline == date(2025, 10, 10)
    assert clock.elapsed == 4


def test_clock_in_unconfirmed_year_is_unconfirmed(create_project, create_item):
    create_item("E1", time_limit_working_days=10)
    project = create_project(registered_on=date(2026, 12, 24))

    clock = services.stage_clock(project.stages[0], date(2026, 12, 28))

    assert clock.deadline.year == 2027
    assert not clock.confirmed


def test_pause_for_technical_review_refused(db, create_project, staff):
    project = create_project()

    with pytest.raises(RuleViolation) as caught:
        services.pause_clock(
            staff["zrzyj"],
            project.stages[0],
            "technical_review",
            "审图",
            date(2026, 3, 3),
        )
    assert "waiting_on" in caught.value.errors
    assert count(db, ClockPause) == 0


def test_pause_by_non_lead_refused(create_project, staff):
    project = create_project()

    with pytest.raises(RuleViolation):
        services.pause_clock(
            staff["fgw"], project.stages[0], "applicant", "补正", date(2026, 3, 3)
        )


def test_decide_stage_by_non_lead_refused(create_project, staff):
    project = create_project()
    stage = project.stages[0]

    with pytest.raises(RuleViolation) as caught:
        services.decide_stage(staff["zjj"], stage, True, "", date(2026, 3, 4))

    assert "department" in caught.value.errors
    assert stage.status == StageStatus.OPEN


def test_decide_closed_stage_refused(db, create_project, staff):
    project = create_project()
    stage = project.stages[0]
    services.decide_stage(staff["zrzyj"], stage, True, "同意", date(2026, 3, 4))

    with pytest.raises(RuleViolation) as caught:
        services.decide_stage(staff["zrzyj"], stage, False, "改判", date(2026, 3, 5))

    assert "stage" in caught.value.errors
    assert stage.status == StageStatus.APPROVED


def test_decide_stage_waits_for_parallel_opinions(
    db, create_project, create_item, depts, staff
):
    create_item("E-FIRE", department_id=depts["xfzd"].id)
    project = create_project()
    stage = project.stages[0]

    with pytest.raises(RuleViolation):
        services.decide_stage(staff["zrzyj"], stage, True, "", date(2026, 3, 4))
    services.give_opinion(
        staff["xfzd"], stage.reviews[0], "agree", "", date(2026, 3, 4)
    )
    services.decide_stage(staff["zrzyj"], stage, True, "", date(2026, 3, 5))

    assert stage.status == StageStatus.APPROVED
    assert stage.decision_number == f"{project.code}-1"


def test_opinion_by_other_department_refused(create_project, create_item, depts, staff):
    create_item("E-FIRE", department_id=depts["xfzd"].id)
    review = create_project().stages[0].reviews[0]

    with pytest.raises(RuleViolation):
        services.give_opinion(staff["fgw"], review, "agree", "", date(2026, 3, 4))


def test_documents_stored_once_and_reused(db, create_project, create_item, staff):
    create_item("E1", required_materials=["site_plan"])
    create_item(
        "C1",
        stage=StageKind.CONSTRUCTION_PERMIT,
        required_materials=["site_plan", "engineering_planning_permit", "drawings"],
    )
    project = create_project(
        documents=[{"material_code": "site_plan", "title": "总平面图"}]
    )
    services.decide_stage(staff["zrzyj"], project.stages[0], True, "", date(2026, 3, 4))
    db.session.commit()
    second = project.stages[1]

    states = {m.material_code: m.state for m in services.stage_materials(second)}
    assert states == {
        "site_plan": "on_file",
        "engineering_planning_permit": "government",
        "drawings": "missing",
    }
    with pytest.raises(InvalidInput) as caught:
        services.apply_for_stage(
            staff["lusong"],
            second,
            date(2026, 3, 6),
            [{"material_code": "site_plan", "title": "再次提交"}],
        )
    assert "documents.0" in caught.value.errors
    db.session.rollback()

    services.apply_for_stage(
        staff["lusong"],
        second,
        date(2026, 3, 6),
        [{"material_code": "drawings", "title": "施工图"}],
    )
    assert count(db, Document) == 3
    assert second.status == StageStatus.OPEN


def test_government_result_never_submitted(create_project):
    with pytest.raises(InvalidInput):
        create_project(
            documents=[{"material_code": "construction_permit", "title": "施工许可证"}]
        )


def test_open_stage_lists_missing_materials(db, create_project, create_item):
    create_item("E1", required_materials=["site_plan"])

    with pytest.raises(InvalidInput) as caught:
        create_project()

    assert "site_plan" in caught.value.errors["documents"][0]


def test_catalogue_update_keeps_revisions(db, create_item, staff):
    item = create_item("E1", time_limit_working_days=10)

    services.update_catalogue_item(staff["spj"], item, {"time_limit_working_days": 8})

    assert item.revision == 2
    assert [r.snapshot["time_limit_working_days"] for r in item.revisions] == [10, 8]


def test_catalogue_stale_update_conflicts(create_item, staff):
    item = create_item("E1")

    with pytest.raises(Conflict):
        services.update_catalogue_item(staff["spj"], item, {"name": "x"}, 99)


def test_catalogue_commit_item_needs_inspection_period(create_item):
    with pytest.raises(InvalidInput):
        create_item("E9", notify_and_commit=True)


def test_commitment_refused_for_blacklisted_applicant(
    db, create_project, create_item, applicant, depts, staff
):
    from core.directory import add_credit_record

    item = create_item("E-SOIL", notify_and_commit=True, inspection_working_days=20)
    project = create_project()
    add_credit_record(
        applicant, CreditKind.BLACK_LIST, "失信", date(2026, 1, 1), depts["spj"], "core"
    )

    with pytest.raises(RuleViolation):
        services.approve_by_commitment(
            staff["zrzyj"],
            project.stages[0],
            item,
            "承诺",
            "张三",
            date(2026, 3, 3),
            date(2026, 3, 3),
        )


def test_key_project_escalated_near_limit(db, create_project, create_item, staff):
    create_item("E1", time_limit_working_days=5)
    project = create_project()
    services.make_key_project(staff["lusong"], project, "李代办")

    assert services.escalate_key_projects(date(2026, 3, 3)) == []
    near = services.escalate_key_projects(date(2026, 3, 6))
    again = services.escalate_key_projects(date(2026, 3, 6))
    late = services.escalate_key_projects(date(2026, 3, 11))

    assert [e.kind for e in near] == [EscalationKind.NEAR_LIMIT]
    assert again == []
    assert [e.kind for e in late] == [EscalationKind.OVERDUE]
    assert late[0].supervising_department.code == "spj"


def test_segments_issue_permits_in_order(db, staff, create_project):
    project = create_project(
        category=Category.GOVERNMENT_LINEAR.value,
        investment_type=InvestmentType.GOVERNMENT.value,
    )
    segment = services.add_segment(staff["lusong"], project, "K0+000—K1+200")

    with pytest.raises(RuleViolation):
        services.issue_segment_permit(
            staff["zrzyj"], segment, "land_handover_notice", "JD-1", date(2026, 3, 3)
        )
    services.complete_land_acquisition(staff["lusong"], segment, date(2026, 3, 3))
    with pytest.raises(RuleViolation):
        services.issue_segment_permit(
            staff["zjj"], segment, "construction_permit", "SG-1", date(2026, 3, 4)
        )
    for kind in (
        "land_handover_notice",
        "allocation_decision",
        "land_use_planning_permit",
        "engineering_planning_permit",
    ):
        services.issue_segment_permit(
            staff["zrzyj"], segment, kind, kind, date(2026, 3, 4)
        )
    permit = services.issue_segment_permit(
        staff["zjj"], segment, "construction_permit", "SG-1", date(2026, 3, 5)
    )

    assert permit.department.code == "zjj"
    assert len(segment.permits) == 5


def test_segments_refused_for_buildings(create_project, staff):
    with pytest.raises(RuleViolation):
        services.add_segment(staff["lusong"], create_project(), "一段")


def test_municipal_facility_needs_construction_stage(create_project, staff):
    project = create_project()

    with pytest.raises(RuleViolation):
        services.apply_side_approval(
            staff["lusong"], project, "municipal_facility", date(2026, 3, 3)
        )


def test_municipal_facility_six_working_day_clock(db, create_project, staff):
    project = create_project()
    services.decide_stage(staff["zrzyj"], project.stages[0], True, "", date(2026, 3, 4))
    services.apply_for_stage(staff["lusong"], project.stages[1], date(2026, 3, 5))

    side = services.apply_side_approval(
        staff["lusong"], project, "municipal_facility", date(2026, 3, 5)
    )
    clock = services.side_clock(side, date(2026, 3, 5))

    assert side.lead_department.code == "cgj"
    assert clock.deadline == date(2026, 3, 13)


def test_first_registration_refused_for_large_project(create_project, staff):
    project = create_project(has_basement=True)
    project.status = ProjectStatus.COMPLETED

    with pytest.raises(RuleViolation):
        services.apply_side_approval(
            staff["lusong"], project, "first_registration", date(2026, 5, 6)
        )


def test_profile_from_facts():
    result = services.project_profile(facts(building_area_m2="5001"))

    assert not result.small_project
    assert len(result.stages) == 4


def test_end_to_end_with_broken_commitment(
    db, create_project, create_item, applicant, depts, staff
):
    """Registration to completion acceptance; a commitment is broken afterwards."""
    create_item("E-PLAN", required_materials=["site_plan"], time_limit_working_days=10)
    create_item("E-FIRE", department_id=depts["xfzd"].id, time_limit_working_days=8)
    item = create_item(
        "C-SAFETY",
        stage=StageKind.CONSTRUCTION_PERMIT,
        name="开工安全生产条件",
        required_materials=["site_plan", "engineering_planning_permit"],
        department_id=depts["zjj"].id,
        notify_and_commit=True,
        inspection_working_days=20,
    )
    project = create_project(
        registered_on=date(2026, 9, 25),
        documents=[{"material_code": "site_plan", "title": "总平面图"}],
    )
    first, second, third = project.stages

    services.pause_clock(staff["zrzyj"], first, "applicant", "补正", date(2026, 9, 29))
    services.resume_clock(staff["zrzyj"], first, date(2026, 10, 9))
    services.give_opinion(
        staff["xfzd"], first.reviews[0], "agree", "同意", date(2026, 10, 9)
    )
    services.decide_stage(staff["zrzyj"], first, True, "准予许可", date(2026, 10, 12))
    services.apply_for_stage(staff["lusong"], second, date(2026, 10, 14))
    commitment = services.approve_by_commitment(
        staff["zjj"],
        second,
        item,
        "承诺具备安全生产条件",
        "王法人",
        date(2026, 10, 14),
        date(2026, 10, 14),
    )
    services.decide_stage(
        staff["zjj"], second, True, "核发施工许可证", date(2026, 10, 15)
    )
    services.apply_for_stage(staff["lusong"], third, date(2026, 12, 1))
    services.decide_stage(staff["zjj"], third, True, "竣工验收备案", date(2026, 12, 3))
    services.record_inspection(
        staff["zjj"], commitment, False, "安全生产条件未落实", date(2026, 11, 10)
    )
    db.session.commit()

    assert project.status == ProjectStatus.COMPLETED
    assert project.completed_on == date(2026, 12, 3)
    # Sep 28 and 29 ran before the pause; Oct 10 (a make-up Saturday) and
    # Oct 12 after the resumption.
    assert first.working_days_used == 4
    assert second.working_days_used == 1 and third.working_days_used == 2
    assert services.project_clock(project, date(2026, 12, 3)).elapsed == 7
    assert commitment.status == CommitmentStatus.REVOKED
    assert commitment.revoked_on == date(2026, 11, 10)
    record = db.session.get(CreditRecord, commitment.credit_record_id)
    assert record.kind == CreditKind.BLACK_LIST
    assert record.organisation_id == applicant.id
    assert record.source_module == "approval_reform"
    decision = services.decision_record(second, date(2026, 12, 3))
    assert decision["commitments"][0]["status"] == "revoked"
    assert {d["material_code"] for d in decision["documents"]} == {
        "site_plan",
        "engineering_planning_permit",
    }
    side = services.apply_side_approval(
        staff["lusong"],
        project,
        SideApprovalKind.FIRST_REGISTRATION.value,
        date(2026, 12, 4),
    )
    assert services.side_clock(side, date(2026, 12, 4)).deadline == date(2026, 12, 9)


def test_key_project_escalation_is_mailed_to_the_supervising_office(
    db, create_project, create_item, staff, depts
):
    from core.models.scheduling import OutboxMessage

    depts["spj"].contact_emails = "duban@zhuzhou.gov.cn"
    db.session.commit()
    create_item("E1", time_limit_working_days=5)
    project = create_project()
    services.make_key_project(staff["lusong"], project, "李代办")

    services.escalate_key_projects(date(2026, 3, 6))
    services.escalate_key_projects(date(2026, 3, 6))
    db.session.commit()

    messages = db.session.scalars(select(OutboxMessage)).all()
    assert len(messages) == 1
    assert messages[0].recipients == "duban@zhuzhou.gov.cn"
    assert project.name in messages[0].subject
    assert messages[0].origin == "approval_reform.escalations"
