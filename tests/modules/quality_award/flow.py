"""Drive an application through the whole procedure, the way the people would."""

from datetime import date
from decimal import Decimal

from modules.quality_award import services


def to_candidate(qa, application, on=date(2026, 6, 15)):
    """From draft through material, on-site review, survey and evaluation."""
    county = (
        qa["lusong"]
        if application.department_id == qa["city"]["lusong"].id
        else (qa["hetang"])
    )
    office = qa["office"]
    pool = qa["pool"]
    services.take_step(county, application.id, "submit", "", on)
    services.take_step(county, application.id, "county_forward", "同意推荐", on)
    services.take_step(office, application.id, "accept", "", on)
    services.assign_reviewer(office, application.id, pool[0].id, "material", True)
    services.assign_reviewer(office, application.id, pool[1].id, "material")
    services.record_score(qa["reviewers"][0], application.id, "material", 88, "", on)
    services.record_score(qa["reviewers"][1], application.id, "material", 92, "", on)
    services.rank_material_review(office, application.cycle_id, 5, on)
    services.assign_reviewer(office, application.id, pool[0].id, "onsite", True)
    services.record_score(qa["reviewers"][0], application.id, "onsite", 90, "", on)
    services.take_step(
        office, application.id, "record_onsite_report", "现场评审报告", on
    )
    if application.kind == "organisation":
        services.take_step(
            office,
            application.id,
            "record_survey",
            "满意度测评报告",
            on,
            {"satisfaction_score": Decimal("91")},
        )
    services.take_step(
        office, application.id, "shortlist", "", on, {"evaluation_score": Decimal("90")}
    )
    return application


def to_winner(qa, application, on=date(2026, 6, 15)):
    """From draft to the announced award."""
    to_candidate(qa, application, on)
    for member in qa["members"]:
        services.cast_vote(member, application.id, True, on)
    services.conclude_vote(qa["members"][0], application.cycle_id, on)
    services.take_step(
        qa["office"],
        application.id,
        "publish_notice",
        "",
        date(2026, 7, 1),
        {"notice_ends_on": date(2026, 7, 7)},
    )
    services.take_step(qa["mayor"], application.id, "approve", "", date(2026, 7, 8))
    services.take_step(qa["office"], application.id, "announce", "", date(2026, 7, 10))
    return application
