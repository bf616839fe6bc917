"""One organisation from application to bonus payment, then revocation and clawback."""

from datetime import date

from sqlalchemy import select

from modules.quality_award import services
from modules.quality_award.models import Clawback, Transition
from modules.quality_award.rules import State
from tests.modules.quality_award.flow import to_winner


def test_organisation_from_application_to_bonus_then_fraud_clawback(
    db, qa, create_application
):
    application = create_application()

    to_winner(qa, application)
    assert application.state == State.AWARDED
    assert application.bonus_fen == 50_000_000
    assert application.trophy_given and application.certificate_given

    services.record_payment(
        qa["finance"], application.id, 50_000_000, date(2026, 8, 1), "株财拨〔2026〕1号"
    )
    use = services.report_bonus_use(
        qa["lusong"],
        application.id,
        "laboratory",
        20_000_000,
        "检测实验室建设",
        date(2027, 1, 15),
    )
    assert use.permitted
    assert services.paid_fen(application.id) == 50_000_000

    services.record_tracking_event(
        qa["office"],
        application.id,
        "fraud",
        date(2026, 5, 1),
        "申报材料中检测报告系伪造",
        date(2027, 6, 1),
    )
    assert application.state == State.REVOKED
    assert application.revoked_on == date(2027, 6, 1)
    services.announce_revocation(qa["office"], application.id, date(2027, 6, 5))
    assert application.revocation_announced_on == date(2027, 6, 5)

    services.record_clawback(
        qa["finance"],
        application.id,
        date(2027, 7, 1),
        30_000_000,
        "追缴1",
        trophy_returned=True,
    )
    order = db.session.scalars(select(Clawback)).one()
    assert order.settled_on is None
    services.record_clawback(
        qa["finance"],
        application.id,
        date(2027, 8, 1),
        20_000_000,
        "追缴2",
        certificate_returned=True,
    )

    assert order.settled_on == date(2027, 8, 1)
    assert not application.trophy_given and not application.certificate_given
    assert services.clawback_state(application).outstanding_fen == 0
    steps = [
        t.action
        for t in db.session.scalars(
            select(Transition)
            .where(Transition.application_id == application.id)
            .order_by(Transition.id)
        )
    ]
    assert steps == [
        "submit",
        "county_forward",
        "accept",
        "select_onsite",
        "record_onsite_report",
        "record_survey",
        "shortlist",
        "recommend",
        "publish_notice",
        "approve",
        "announce",
        "revoke",
    ]
