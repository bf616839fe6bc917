"""Services: draws, matching, results, publication, plans and reminders."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.errors import InvalidInput, NotFound, RuleViolation
from core.models.organisations import CreditKind, CreditRecord
from modules.dual_random import services
from modules.dual_random.models import (
    Draw,
    Plan,
    PlanKind,
    PlanStatus,
    Reminder,
    Result,
    Task,
    TaskKind,
    TaskStatus,
)
from tests.modules.dual_random.conftest import ROOT, make_uscc


def _count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_draw_records_seed_fingerprint_and_sample(db, simple_task):
    record = services.draw_targets(ROOT, simple_task["task"].id)

    assert record.population_size == 20
    assert record.sample_size == 5
    assert record.seed.isdigit()
    assert len(record.fingerprint) == 64
    assert set(services.drawn_ids(record)) <= set(simple_task["target_ids"])
    assert simple_task["task"].status == TaskStatus.DRAWN


def test_same_seed_and_snapshot_give_same_draw(db, simple_task):
    first = services.draw_targets(ROOT, simple_task["task"].id, seed="12345")
    second = services.draw_targets(
        ROOT, simple_task["task"].id, reason="test", seed="12345"
    )

    assert services.drawn_ids(first) == services.drawn_ids(second)
    assert first.fingerprint == second.fingerprint


def test_other_seed_gives_other_draw(db, simple_task):
    first = services.draw_targets(ROOT, simple_task["task"].id, seed="12345")
    second = services.draw_targets(
        ROOT, simple_task["task"].id, reason="test", seed="54321"
    )

    assert services.drawn_ids(first) != services.drawn_ids(second)


def test_second_draw_without_reason_is_refused(db, simple_task):
    services.draw_targets(ROOT, simple_task["task"].id)
    db.session.commit()

    with pytest.raises(InvalidInput) as error:
        services.draw_targets(ROOT, simple_task["task"].id)
    assert "reason" in error.value.errors


def test_second_draw_is_a_new_recorded_event(db, simple_task):
    services.draw_targets(ROOT, simple_task["task"].id)
    services.draw_targets(ROOT, simple_task["task"].id, reason="系统故障重抽")

    draws = db.session.scalars(select(Draw).order_by(Draw.sequence)).all()
    assert [d.sequence for d in draws] == [1, 2]
    assert draws[1].reason == "系统故障重抽"


def test_sample_larger_than_population_writes_nothing(
    db, depts, create_item, create_targets, create_inspector, create_task
):
    market = depts["market"]
    item = create_item(market)
    create_targets(market, depts["lusong"], 3)
    create_inspector(market)
    create_inspector(market)
    task = create_task(market, [item], sample_count=4)

    with pytest.raises(InvalidInput) as error:
        services.draw_targets(ROOT, task.id)
    db.session.rollback()

    assert "大于检查对象总数（3）" in error.value.errors["sample_count"][0]
    assert _count(db, Draw) == 0


def _market_task(item, depts, **fields):
    data = {"department_id": depts["market"].id, "title": "x", "item_ids": [item.id]}
    return services.create_task(ROOT, {**data, **fields})


def test_ratio_above_one_is_refused_at_task_creation(db, depts, create_item):
    item = create_item(depts["market"])

    with pytest.raises(InvalidInput) as error:
        _market_task(item, depts, sample_ratio=Decimal("1.5"))
    assert "sample_ratio" in error.value.errors


@pytest.mark.parametrize("field", ["plan_id", "filter_county_id"])
def test_task_naming_an_unknown_plan_or_county_is_refused_and_writes_nothing(
    db, depts, create_item, field
):
    item = create_item(depts["market"])

    with pytest.raises(InvalidInput) as error:
        _market_task(item, depts, sample_count=3, **{field: 100_000})

    assert list(error.value.errors) == [field]
    assert _count(db, Task) == 0


def test_too_few_inspectors_refuses_the_draw(
    db, depts, create_item, create_targets, create_inspector, create_task
):
    market = depts["market"]
    item = create_item(market)
    create_targets(market, depts["lusong"], 5)
    create_inspector(market)
    task = create_task(market, [item], sample_count=2)

    with pytest.raises(InvalidInput) as error:
        services.draw_targets(ROOT, task.id)
    db.session.rollback()

    assert "inspectors" in error.value.errors
    assert _count(db, Draw) == 0


def test_inspectors_without_the_qualification_are_not_eligible(
    db, depts, create_item, create_targets, create_inspector, create_task
):
    market = depts["market"]
    item = create_item(market, qualification="drug")
    create_targets(market, depts["lusong"], 5)
    create_inspector(market, qualifications="food")
    create_inspector(market, qualifications="food")
    task = create_task(market, [item], sample_count=2)

    with pytest.raises(InvalidInput):
        services.draw_targets(ROOT, task.id)


def test_matching_gives_two_qualified_inspectors_per_target(db, simple_task):
    services.draw_targets(ROOT, simple_task["task"].id)
    record = services.match_inspectors(ROOT, simple_task["task"].id)

    matched = services.assignments_of(record)
    allowed = {i.id for i in simple_task["inspectors"]}
    assert len(matched) == 5
    for pairs in matched.values():
        assert len({i for i, _ in pairs}) == 2
        assert {i for i, _ in pairs} <= allowed


def test_conflicted_inspectors_are_never_matched(db, simple_task):
    task = simple_task["task"]
    inspectors = simple_task["inspectors"]
    for target_id in simple_task["target_ids"]:
        services.declare_conflict(ROOT, inspectors[0].id, target_id, "亲属关系")
    services.draw_targets(ROOT, task.id)

    record = services.match_inspectors(ROOT, task.id)

    used = {i for pairs in services.assignments_of(record).values() for i, _ in pairs}
    assert inspectors[0].id not in used


def test_joint_task_takes_inspectors_from_every_department(
    db, depts, create_item, create_targets, create_inspector, create_task
):
    market, safety = depts["market"], depts["safety"]
    food = create_item(market, qualification="food")
    fire = create_item(safety, qualification="fire")
    create_targets(market, depts["lusong"], 10)
    for _ in range(3):
        create_inspector(market, qualifications="food")
        create_inspector(safety, qualifications="fire")
    task = create_task(
        market, [food, fire], participant_ids=[safety.id], sample_count=4
    )
    services.draw_targets(ROOT, task.id)

    record = services.match_inspectors(ROOT, task.id)

    for pairs in services.assignments_of(record).values():
        assert {d for _, d in pairs} == {market.id, safety.id}


def test_joint_task_refuses_department_without_items(
    db, depts, create_item, create_task
):
    item = create_item(depts["market"])

    with pytest.raises(InvalidInput) as error:
        create_task(depts["market"], [item], participant_ids=[depts["safety"].id])
    assert "participant_ids" in error.value.errors


def test_matching_twice_is_refused(db, simple_task):
    services.draw_targets(ROOT, simple_task["task"].id)
    services.match_inspectors(ROOT, simple_task["task"].id)

    with pytest.raises(RuleViolation):
        services.match_inspectors(ROOT, simple_task["task"].id)


def test_verify_draw_reruns_targets_and_inspectors(db, simple_task):
    services.draw_targets(ROOT, simple_task["task"].id)
    record = services.match_inspectors(ROOT, simple_task["task"].id)

    outcome = services.verify_draw(record)

    assert outcome.ok
    assert outcome.inspectors_match is True


def test_verify_draw_with_another_seed_fails(db, simple_task):
    record = services.draw_targets(ROOT, simple_task["task"].id, seed="1")

    assert not services.verify_draw(record, "2").targets_match


def test_verify_stratified_draw(
    db, depts, create_item, create_targets, create_inspector, create_task
):
    market = depts["market"]
    item = create_item(market)
    create_targets(market, depts["lusong"], 12)
    create_targets(market, depts["hetang"], 8)
    create_inspector(market)
    create_inspector(market)
    task = create_task(
        market,
        [item],
        sample_count=None,
        sample_ratio=Decimal("0.25"),
        stratify_by="county",
    )

    record = services.draw_targets(ROOT, task.id)

    assert record.sample_size == 5
    assert services.verify_draw(record).ok


def _finish(db, simple_task, outcome="compliant", **extra):
    task = simple_task["task"]
    services.draw_targets(ROOT, task.id)
    record = services.match_inspectors(ROOT, task.id)
    for target_id in services.drawn_ids(record):
        services.record_result(
            ROOT,
            {
                "task_id": task.id,
                "target_id": target_id,
                "item_id": simple_task["item"].id,
                "outcome": outcome,
                "inspected_on": date(2026, 9, 20),
                **extra,
            },
        )
    return task


def test_publishing_unfinished_task_is_refused(db, simple_task):
    services.draw_targets(ROOT, simple_task["task"].id)
    db.session.commit()

    with pytest.raises(RuleViolation) as error:
        services.publish_results(ROOT, simple_task["task"].id, date(2026, 9, 30))
    db.session.rollback()

    assert "尚未完成" in error.value.detail
    assert simple_task["task"].published_on is None


def test_completing_with_missing_results_is_refused(db, simple_task):
    services.draw_targets(ROOT, simple_task["task"].id)
    services.match_inspectors(ROOT, simple_task["task"].id)

    with pytest.raises(RuleViolation):
        services.complete_task(ROOT, simple_task["task"].id, date(2026, 9, 28))


def test_publication_deadline_counts_across_national_day(db, simple_task):
    task = _finish(db, simple_task)

    services.complete_task(ROOT, task.id, date(2026, 9, 28))

    # 9-29, 9-30, then 10-8 after the holiday, 10-10 (a make-up Saturday) ...
    assert task.publish_due_on == date(2026, 10, 30)


def test_publish_completed_task(db, simple_task):
    task = _finish(db, simple_task)
    services.complete_task(ROOT, task.id, date(2026, 9, 28))

    services.publish_results(ROOT, task.id, date(2026, 10, 9))

    assert task.status == TaskStatus.PUBLISHED
    assert task.published_on == date(2026, 10, 9)


def test_violation_creates_credit_record_on_core_organisation(
    db, depts, create_item, create_target, create_inspector, create_task
):
    market = depts["market"]
    item = create_item(market)
    target = create_target(market, depts["lusong"], uscc=make_uscc(777))
    create_inspector(market)
    create_inspector(market)
    task = create_task(market, [item], sample_count=1)
    services.draw_targets(ROOT, task.id)
    services.match_inspectors(ROOT, task.id)

    result = services.record_result(
        ROOT,
        {
            "task_id": task.id,
            "target_id": target.id,
            "item_id": item.id,
            "outcome": "violation",
            "inspected_on": date(2026, 9, 20),
            "penalty": "警告并罚款",
            "fine_yuan": Decimal("5000.00"),
            "referred_to_judiciary": True,
            "referral_note": "移送芦淞区公安分局",
        },
    )

    record = db.session.get(CreditRecord, result.credit_record_id)
    assert record.kind == CreditKind.PENALTY
    assert record.organisation.uscc == make_uscc(777)
    assert record.source_module == "dual_random"
    assert target.organisation_id == record.organisation_id


def test_violation_without_penalty_is_refused(db, simple_task):
    with pytest.raises(InvalidInput) as error:
        _finish(db, simple_task, outcome="violation")
    assert "penalty" in error.value.errors


def test_referral_without_note_is_refused(db, simple_task):
    with pytest.raises(InvalidInput) as error:
        _finish(
            db,
            simple_task,
            outcome="violation",
            penalty="罚款",
            referred_to_judiciary=True,
        )
    assert "referral_note" in error.value.errors


def test_result_of_another_countys_task_is_not_found(
    db, simple_task, depts, create_user
):
    services.draw_targets(ROOT, simple_task["task"].id)
    record = services.match_inspectors(ROOT, simple_task["task"].id)
    db.session.commit()
    county_user = create_user(depts["lusong"], ["dual_random.results"])

    with pytest.raises(NotFound):
        services.record_result(
            county_user,
            {
                "task_id": simple_task["task"].id,
                "target_id": services.drawn_ids(record)[0],
                "item_id": simple_task["item"].id,
                "outcome": "compliant",
                "inspected_on": date(2026, 9, 20),
            },
        )
    assert _count(db, Result) == 0


def test_complaint_task_is_recorded_outside_the_draw(
    db, depts, create_item, create_target, create_inspector, create_task
):
    market = depts["market"]
    item = create_item(market)
    target = create_target(market, depts["lusong"])
    create_inspector(market)
    create_inspector(market)
    task = create_task(market, [item], kind=TaskKind.COMPLAINT, reason="12345投诉")

    record = services.assign_targets(ROOT, task.id, [target.id])
    services.match_inspectors(ROOT, task.id)

    assert record.algorithm == "none"
    assert services.drawn_ids(record) == [target.id]
    with pytest.raises(RuleViolation):
        services.draw_targets(ROOT, task.id)


def test_complaint_task_needs_a_reason(db, depts, create_item, create_task):
    item = create_item(depts["market"])

    with pytest.raises(InvalidInput) as error:
        create_task(depts["market"], [item], kind=TaskKind.COMPLAINT)
    assert "reason" in error.value.errors


def test_key_share_against_limit(db, depts, create_item):
    market = depts["market"]
    create_item(market, is_key=True)
    for _ in range(3):
        create_item(market)
    services.set_key_share_limit(ROOT, market.id, Decimal("0.2"))

    share = services.key_share_of(market.id)

    assert (share.key_items, share.total_items) == (1, 4)
    assert share.share == Decimal("0.25")
    assert not share.within_limit


def test_joint_plan_is_published_only_after_approval(db, depts):
    plan = services.create_plan(
        ROOT,
        {
            "department_id": depts["market"].id,
            "kind": PlanKind.JOINT,
            "year": 2027,
            "title": "2027年度部门联合抽查工作计划",
            "filed_with_id": depts["city"].id,
        },
    )
    with pytest.raises(RuleViolation):
        services.publish_plan(ROOT, plan.id, date(2027, 1, 20))

    services.approve_plan(ROOT, plan.id, date(2027, 1, 15))
    services.publish_plan(ROOT, plan.id, date(2027, 1, 20))

    assert plan.due_on == date(2027, 1, 31)
    assert plan.status == PlanStatus.PUBLISHED
    assert plan.filed_on == date(2027, 1, 20)


@pytest.mark.parametrize("field", ["lead_department_id", "filed_with_id"])
def test_plan_sent_to_an_unknown_department_is_refused_and_writes_nothing(
    db, depts, field
):
    with pytest.raises(InvalidInput) as refused:
        services.create_plan(
            ROOT,
            {
                "department_id": depts["safety"].id,
                "kind": PlanKind.DEPARTMENT,
                "year": 2027,
                "title": "应急局2027年抽查计划",
                field: 100_000,
            },
        )

    assert list(refused.value.errors) == [field]
    assert _count(db, Plan) == 0


def test_department_plan_is_due_end_of_december(db, depts):
    plan = services.create_plan(
        ROOT,
        {
            "department_id": depts["safety"].id,
            "kind": PlanKind.DEPARTMENT,
            "year": 2027,
            "title": "应急局2027年抽查计划",
            "lead_department_id": depts["market"].id,
        },
    )

    services.submit_plan(ROOT, plan.id, date(2026, 12, 20))

    assert plan.due_on == date(2026, 12, 31)
    assert plan.status == PlanStatus.SUBMITTED


def test_reminders_are_issued_once(db, simple_task):
    task = _finish(db, simple_task)
    services.complete_task(ROOT, task.id, date(2026, 9, 28))

    first = services.issue_reminders(date(2026, 10, 27))
    second = services.issue_reminders(date(2026, 10, 27))

    assert (first, second) == (1, 0)
    assert db.session.scalars(select(Reminder.key)).all() == [f"task-{task.id}-due"]


def test_reminders_are_mailed_once_to_a_department_with_an_address(db, simple_task):
    from core.models.scheduling import OutboxMessage

    task = _finish(db, simple_task)
    task.department.contact_emails = "choucha@zhuzhou.gov.cn"
    services.complete_task(ROOT, task.id, date(2026, 9, 28))

    services.issue_reminders(date(2026, 10, 27))
    services.issue_reminders(date(2026, 10, 27))
    db.session.commit()

    messages = db.session.scalars(select(OutboxMessage)).all()
    assert [m.recipients for m in messages] == ["choucha@zhuzhou.gov.cn"]
    assert task.title in messages[0].subject
    assert "2026-10-" in messages[0].body_text


def test_overdue_list_holds_late_tasks(db, simple_task):
    task = _finish(db, simple_task)
    services.complete_task(ROOT, task.id, date(2026, 9, 28))

    assert services.overdue_tasks(ROOT, date(2026, 10, 30)) == []
    assert services.overdue_tasks(ROOT, date(2026, 11, 2)) == [task]


def test_due_items_show_publication_deadline(db, simple_task, depts, create_user):
    task = _finish(db, simple_task)
    services.complete_task(ROOT, task.id, date(2026, 9, 28))
    db.session.commit()
    user = create_user(depts["market"], ["dual_random.view"])

    items = services.due_items(user, date(2026, 10, 9))

    assert [i.deadline for i in items] == [date(2026, 10, 30)]


def test_due_items_hidden_from_other_county(db, simple_task, depts, create_user):
    task = _finish(db, simple_task)
    services.complete_task(ROOT, task.id, date(2026, 9, 28))
    db.session.commit()
    user = create_user(depts["hetang"], ["dual_random.view"])

    assert services.due_items(user, date(2026, 10, 9)) == []


def test_draw_keeps_its_lists_on_its_own_row(db, simple_task):
    task = simple_task["task"]
    drawn = services.drawn_ids(services.draw_targets(ROOT, task.id))
    matched = services.assignments_of(services.match_inspectors(ROOT, task.id))
    db.session.commit()
    db.session.expire_all()

    record = db.session.scalars(select(Draw)).one()

    assert services.drawn_ids(record) == drawn
    assert services.assignments_of(record) == matched
    assert list(matched) == drawn
    assert sum(len(pairs) for pairs in matched.values()) == 10
    assert services.verify_draw(record).ok


def test_stratified_draw_keeps_strata_in_its_drawn_list(
    db, depts, create_item, create_targets, create_inspector, create_task
):
    market = depts["market"]
    item = create_item(market)
    create_targets(market, depts["lusong"], 12)
    create_targets(market, depts["hetang"], 8)
    create_inspector(market)
    create_inspector(market)
    task = create_task(
        market,
        [item],
        sample_count=None,
        sample_ratio=Decimal("0.25"),
        stratify_by="county",
    )

    record = services.draw_targets(ROOT, task.id, seed="99")

    strata = services.decode_snapshot(record.drawn)
    assert [(key, len(ids)) for key, ids in strata] == sorted(
        [(str(depts["lusong"].id), 3), (str(depts["hetang"].id), 2)]
    )
    assert services.drawn_ids(record) == [i for _key, ids in strata for i in ids]


def test_result_target_must_be_in_the_draw(db, simple_task):
    task = simple_task["task"]
    services.draw_targets(ROOT, task.id)
    record = services.match_inspectors(ROOT, task.id)
    outside = next(
        t for t in simple_task["target_ids"] if t not in services.drawn_ids(record)
    )

    with pytest.raises(InvalidInput) as error:
        services.record_result(
            ROOT,
            {
                "task_id": task.id,
                "target_id": outside,
                "item_id": simple_task["item"].id,
                "outcome": "compliant",
                "inspected_on": date(2026, 9, 20),
            },
        )
    assert "target_id" in error.value.errors
