"""Services: the procedure, its refusals (which write nothing), recusal, objections."""

import io
from datetime import date

import pytest
from sqlalchemy import func, select

from core.directory import add_credit_record
from core.errors import Forbidden, InvalidInput, NotFound, RuleViolation
from core.models import AuditEntry, CreditKind
from modules.quality_award import services
from modules.quality_award.models import (
    Application,
    Conflict,
    Objection,
    Score,
    Transition,
)
from modules.quality_award.rules import State
from tests.modules.quality_award.conftest import resident_id
from tests.modules.quality_award.flow import to_candidate, to_winner


def count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_create_application_starts_as_draft(create_application):
    application = create_application()

    assert application.state == State.DRAFT
    assert application.department_id == application.organisation.county_id


def test_application_has_no_fee_field():
    assert not any("fee" in c.name for c in Application.__table__.columns)


def test_duplicate_application_in_cycle_is_refused(db, qa, create_application):
    first = create_application()

    with pytest.raises(InvalidInput) as error:
        create_application(organisation=first.organisation)

    assert "organisation_id" in error.value.errors
    assert count(db, Application) == 1


def test_resident_id_with_wrong_check_digit_is_refused(db, create_application):
    bad = resident_id()[:-1] + ("0" if resident_id()[-1] != "0" else "1")

    with pytest.raises(InvalidInput) as error:
        create_application(kind="individual", resident_id=bad)

    assert "resident_id" in error.value.errors
    assert count(db, Application) == 0


def test_missing_required_field_is_refused(db, create_application):
    with pytest.raises(InvalidInput) as error:
        create_application(contact_name="")

    assert "contact_name" in error.value.errors
    assert count(db, Application) == 0


def test_submit_records_transition_with_actor_and_date(db, qa, create_application):
    application = create_application()

    services.take_step(qa["lusong"], application.id, "submit", "", date(2026, 6, 15))

    step = db.session.scalars(select(Transition)).one()
    assert (step.from_state, step.to_state) == (State.DRAFT, State.SUBMITTED)
    assert step.actor_id == qa["lusong"].id
    assert step.acted_on == date(2026, 6, 15)


def test_submit_of_ineligible_applicant_cites_the_article(db, qa, create_application):
    application = create_application(operating_since=date(2023, 1, 1))

    with pytest.raises(RuleViolation) as error:
        services.take_step(
            qa["lusong"], application.id, "submit", "", date(2026, 6, 15)
        )

    assert "art. 9(1)" in error.value.detail
    assert count(db, Transition) == 0


def test_bad_credit_in_core_records_stops_a_later_step(
    db, qa, create_application, advance
):
    application = advance(create_application(), through="pre_reviewed")
    add_credit_record(
        application.organisation,
        CreditKind.BLACK_LIST,
        "列入严重失信名单",
        date(2026, 6, 1),
        qa["city"]["market"],
        "core",
    )
    db.session.commit()

    with pytest.raises(RuleViolation) as error:
        services.take_step(
            qa["office"], application.id, "accept", "", date(2026, 6, 15)
        )

    assert "art. 9(4)" in error.value.detail
    assert db.session.get(Application, application.id).state == State.PRE_REVIEWED


def test_transition_from_wrong_state_is_refused(qa, create_application):
    application = create_application()

    with pytest.raises(RuleViolation):
        services.take_step(
            qa["office"], application.id, "accept", "", date(2026, 6, 15)
        )


def test_transition_without_permission_is_refused(qa, create_application, advance):
    application = advance(create_application(), through="pre_reviewed")

    with pytest.raises(Forbidden):
        services.take_step(
            qa["lusong"], application.id, "accept", "", date(2026, 6, 15)
        )


def test_county_cannot_reach_another_countys_application(qa, create_application):
    application = create_application(county="hetang")

    with pytest.raises(NotFound):
        services.take_step(
            qa["lusong"], application.id, "submit", "", date(2026, 6, 15)
        )


def test_refusal_needs_a_reason_told_to_the_applicant(qa, create_application, advance):
    application = advance(create_application(), through="pre_reviewed")

    with pytest.raises(RuleViolation):
        services.take_step(
            qa["office"], application.id, "refuse", "", date(2026, 6, 15)
        )
    services.take_step(
        qa["office"], application.id, "refuse", "材料不规范", date(2026, 6, 15)
    )

    assert application.state == State.NOT_ACCEPTED


def test_ranking_sends_top_scorers_on_site_and_tells_the_others(
    db, qa, create_application, advance
):
    strong = advance(create_application())
    weak = advance(create_application())
    office, pool, on = qa["office"], qa["pool"], date(2026, 6, 20)
    for application, score in ((strong, 95), (weak, 70)):
        services.assign_reviewer(office, application.id, pool[0].id, "material", True)
        services.record_score(
            qa["reviewers"][0], application.id, "material", score, "", on
        )

    ranked = services.rank_material_review(office, qa["cycle"].id, 1, on)

    assert [a.id for a in ranked] == [strong.id, weak.id]
    assert strong.state == State.ONSITE_REVIEW
    assert weak.state == State.MATERIAL_CLOSED
    assert weak.result_notified_on == on


def test_conflicted_reviewer_cannot_score(db, qa, create_application, advance):
    application = advance(create_application())
    reviewer = qa["reviewers"][0]
    services.assign_reviewer(qa["office"], application.id, qa["pool"][0].id, "material")
    services.declare_conflict(
        reviewer, application.id, "曾任该企业顾问", date(2026, 6, 16)
    )

    with pytest.raises((RuleViolation, Forbidden)):
        services.record_score(
            reviewer, application.id, "material", 90, "", date(2026, 6, 17)
        )

    assert count(db, Score) == 0


def test_conflicted_reviewer_cannot_be_assigned(qa, create_application, advance):
    application = advance(create_application())
    services.declare_conflict(
        qa["reviewers"][0], application.id, "亲属", date(2026, 6, 16)
    )

    with pytest.raises(RuleViolation):
        services.assign_reviewer(
            qa["office"], application.id, qa["pool"][0].id, "material"
        )


def test_conflict_declared_after_scoring_voids_the_score(
    db, qa, create_application, advance
):
    application = advance(create_application())
    services.assign_reviewer(qa["office"], application.id, qa["pool"][0].id, "material")
    services.record_score(
        qa["reviewers"][0], application.id, "material", 90, "", date(2026, 6, 16)
    )

    services.declare_conflict(
        qa["office"],
        application.id,
        "未主动回避",
        date(2026, 6, 17),
        person_id=qa["reviewers"][0].id,
    )

    assert count(db, Score) == 0


def test_office_sees_who_recused_and_who_should_have(qa, create_application, advance):
    application = advance(create_application())
    services.declare_conflict(
        qa["reviewers"][0], application.id, "亲属", date(2026, 6, 16)
    )
    services.declare_conflict(
        qa["office"],
        application.id,
        "曾任顾问",
        date(2026, 6, 17),
        person_id=qa["reviewers"][1].id,
    )

    lines = services.recusal_overview(qa["office"], qa["cycle"].id)

    assert [(line.person.id, line.self_declared) for line in lines] == [
        (qa["reviewers"][0].id, True),
        (qa["reviewers"][1].id, False),
    ]


def test_score_outside_range_is_refused(db, qa, create_application, advance):
    application = advance(create_application())
    services.assign_reviewer(qa["office"], application.id, qa["pool"][0].id, "material")

    with pytest.raises(InvalidInput) as error:
        services.record_score(
            qa["reviewers"][0], application.id, "material", 101, "", date(2026, 6, 16)
        )

    assert "score" in error.value.errors
    assert count(db, Score) == 0


def test_team_has_only_one_leader(qa, create_application, advance):
    application = advance(create_application())
    services.assign_reviewer(
        qa["office"], application.id, qa["pool"][0].id, "onsite", True
    )

    with pytest.raises(RuleViolation):
        services.assign_reviewer(
            qa["office"], application.id, qa["pool"][1].id, "onsite", True
        )


def test_vote_by_non_member_is_refused(db, qa, create_application, create_user):
    application = to_candidate(qa, create_application())
    stranger = create_user(
        qa["city"]["city"], ["quality_award.view", "quality_award.committee"]
    )

    with pytest.raises(InvalidInput) as error:
        services.cast_vote(stranger, application.id, True, date(2026, 6, 20))

    assert "member" in error.value.errors


def test_conflicted_member_cannot_vote(qa, create_application):
    application = to_candidate(qa, create_application())
    member = qa["members"][0]
    services.declare_conflict(member, application.id, "股东", date(2026, 6, 18))

    with pytest.raises(RuleViolation):
        services.cast_vote(member, application.id, True, date(2026, 6, 20))


def test_vote_derives_the_recommended_list(qa, create_application):
    yes = to_candidate(qa, create_application())
    no = to_candidate(qa, create_application())
    on = date(2026, 6, 20)
    for member in qa["members"]:
        services.cast_vote(member, yes.id, True, on)
    services.cast_vote(qa["members"][0], no.id, True, on)
    services.cast_vote(qa["members"][1], no.id, False, on)

    recommended = services.conclude_vote(qa["members"][0], qa["cycle"].id, on)

    assert [a.id for a in recommended] == [yes.id]
    assert no.state == State.NOT_RECOMMENDED


def test_sixth_organisation_is_refused(db, qa, create_application):
    winners = [to_winner(qa, create_application()) for _ in range(5)]
    sixth = to_candidate(qa, create_application())
    on = date(2026, 6, 20)
    for member in qa["members"]:
        services.cast_vote(member, sixth.id, True, on)
    services.conclude_vote(qa["members"][0], qa["cycle"].id, on)
    services.take_step(
        qa["office"],
        sixth.id,
        "publish_notice",
        "",
        date(2026, 7, 1),
        {"notice_ends_on": date(2026, 7, 7)},
    )

    with pytest.raises(RuleViolation) as error:
        services.take_step(qa["mayor"], sixth.id, "approve", "", date(2026, 7, 8))

    assert error.value.article == "art. 4"
    assert all(w.state == State.AWARDED for w in winners)
    assert db.session.get(Application, sixth.id).state == State.IN_NOTICE


def test_objection_received_day_before_national_day_is_due_after_the_holiday(
    qa, create_application
):
    application = create_application()
    data = {
        "objector_name": "周某",
        "objector_contact": "13900000000",
        "reason": "获奖经历不实",
        "evidence": "证书复印件",
    }

    objection = services.receive_objection(
        qa["office"], application.id, data, date(2026, 9, 30)
    )

    # 1-7 October are the holiday; Saturday 10 October is a make-up working day.
    assert objection.intake_due_on == date(2026, 10, 13)
    assert objection.intake_due_confirmed


def test_anonymous_objection_is_refused_at_entry(db, qa, create_application):
    application = create_application()
    data = {
        "objector_name": "",
        "objector_contact": "x",
        "reason": "r",
        "evidence": "e",
    }

    with pytest.raises(InvalidInput) as error:
        services.receive_objection(qa["office"], application.id, data, date(2026, 9, 1))

    assert "objector_name" in error.value.errors
    assert count(db, Objection) == 0


def test_non_cooperation_disqualifies_an_applicant(qa, create_application, advance):
    application = advance(create_application())
    data = {
        "objector_name": "周某",
        "objector_contact": "139",
        "reason": "r",
        "evidence": "e",
    }
    objection = services.receive_objection(
        qa["office"], application.id, data, date(2026, 6, 16)
    )
    services.decide_objection_intake(
        qa["office"], objection.id, True, "", date(2026, 6, 17)
    )

    services.conclude_objection(
        qa["office"], objection.id, "upheld", "拒不提供资料", True, date(2026, 6, 30)
    )

    assert application.state == State.DISQUALIFIED
    assert objection.objector_told_on == date(2026, 6, 30)
    assert objection.committee_reported_on == date(2026, 6, 30)


def test_mayor_cannot_approve_while_an_objection_is_open(qa, create_application):
    application = to_candidate(qa, create_application())
    for member in qa["members"]:
        services.cast_vote(member, application.id, True, date(2026, 6, 20))
    services.conclude_vote(qa["members"][0], qa["cycle"].id, date(2026, 6, 20))
    services.take_step(
        qa["office"],
        application.id,
        "publish_notice",
        "",
        date(2026, 7, 1),
        {"notice_ends_on": date(2026, 7, 7)},
    )
    services.receive_objection(
        qa["office"],
        application.id,
        {
            "objector_name": "周某",
            "objector_contact": "139",
            "reason": "r",
            "evidence": "e",
        },
        date(2026, 7, 3),
    )

    with pytest.raises(RuleViolation):
        services.take_step(qa["mayor"], application.id, "approve", "", date(2026, 7, 8))


def test_won_within_six_years_cannot_apply_in_next_cycle(db, qa, create_application):
    from modules.quality_award.models import Cycle

    winner = to_winner(qa, create_application())
    later = Cycle(
        year=2029, title="2029", opens_on=date(2029, 1, 1), closes_on=date(2029, 12, 31)
    )
    db.session.add(later)
    db.session.commit()
    again = create_application(organisation=winner.organisation, cycle_id=later.id)

    with pytest.raises(RuleViolation) as error:
        services.take_step(qa["lusong"], again.id, "submit", "", date(2029, 3, 1))

    assert "art. 11" in error.value.detail


def _pdf(name="report.pdf"):
    from werkzeug.datastructures import FileStorage

    return FileStorage(io.BytesIO(b"%PDF-1.4 test"), filename=name)


def test_secret_document_is_hidden_from_unassigned_reviewer(qa, create_application):
    application = create_application()
    document = services.add_document(
        qa["lusong"], application.id, _pdf(), "工艺参数", "technical"
    )

    with pytest.raises(NotFound):
        services.open_document(qa["reviewers"][0], document.id)


def test_assigned_reviewer_reads_secret_and_the_read_is_audited(
    db, qa, create_application, advance
):
    application = advance(create_application())
    document = services.add_document(
        qa["lusong"], application.id, _pdf(), "工艺参数", "trade"
    )
    services.assign_reviewer(qa["office"], application.id, qa["pool"][0].id, "material")

    _doc, path = services.open_document(qa["reviewers"][0], document.id)

    assert path.read_bytes().startswith(b"%PDF")
    reads = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "read")
    ).all()
    assert [r.table_name for r in reads] == ["quality_award_documents"]


def test_document_is_stored_under_a_generated_name(qa, create_application):
    application = create_application()

    document = services.add_document(
        qa["lusong"], application.id, _pdf("../../etc/passwd.pdf"), "报告", ""
    )

    assert "/" not in document.stored_name
    assert document.stored_name != document.original_name


def test_document_whose_content_does_not_match_is_refused(qa, create_application):
    from werkzeug.datastructures import FileStorage

    application = create_application()
    fake = FileStorage(io.BytesIO(b"MZ executable"), filename="a.pdf")

    with pytest.raises(InvalidInput) as error:
        services.add_document(qa["lusong"], application.id, fake, "报告", "")

    assert "file" in error.value.errors


def test_payments_cannot_exceed_the_bonus(qa, create_application):
    winner = to_winner(qa, create_application())

    with pytest.raises(InvalidInput):
        services.record_payment(qa["finance"], winner.id, 50_000_001, date(2026, 8, 1))


def test_tracking_event_starts_revocation(qa, create_application):
    winner = to_winner(qa, create_application())

    services.record_tracking_event(
        qa["office"],
        winner.id,
        "failed_spot_check",
        date(2027, 3, 1),
        "省级抽查不合格",
        date(2027, 3, 10),
    )

    assert winner.state == State.REVOCATION_PENDING


def test_applicant_rating_feeds_reviewer_assessment(qa, create_application):
    application = to_candidate(qa, create_application())
    reviewer = qa["pool"][0]
    services.rate_reviewer(
        qa["lusong"], application.id, reviewer.id, 4, "认真", date(2026, 6, 20)
    )

    assessment = services.assess_reviewer(
        qa["office"], reviewer.id, qa["cycle"].id, 90, "", date(2026, 12, 1)
    )

    assert assessment.rating_count == 1
    assert str(assessment.overall) == "85.00"


def test_personal_data_is_masked_without_permission(qa, create_application):
    application = create_application(kind="individual")

    masked = services.personal_fields(qa["lusong"], application)
    clear = services.personal_fields(qa["office"], application)

    assert "*" in masked["resident_id"] and "*" in masked["phone"]
    assert clear["resident_id"] == application.resident_id


def test_conflict_record_is_unique_per_person(db, qa, create_application):
    application = create_application()
    services.declare_conflict(qa["lusong"], application.id, "亲属", date(2026, 6, 1))

    with pytest.raises(InvalidInput):
        services.declare_conflict(
            qa["lusong"], application.id, "亲属", date(2026, 6, 2)
        )

    assert count(db, Conflict) == 1
