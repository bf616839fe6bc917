"""The printed certificate and public notice of winners (art. 23-24)."""

import io

import pytest
from pypdf import PdfReader

from core.errors import NotFound, RuleViolation
from modules.quality_award import printing
from tests.modules.quality_award.flow import to_winner


def _text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "".join(page.extract_text() for page in reader.pages)


def test_certificate_names_the_winner_bonus_and_city(qa, create_application):
    winner = to_winner(qa, create_application())

    text = _text(printing.certificate(qa["office"], winner.id).render())

    assert winner.organisation.name in text
    assert "株洲市市长质量奖证书" in text
    assert "500,000.00" in text
    assert "株洲市人民政府" in text
    assert "2026年7月10日" in text


def test_certificate_refused_before_the_award(qa, create_application):
    application = create_application()

    with pytest.raises(RuleViolation):
        printing.certificate(qa["office"], application.id)


def test_certificate_of_another_county_is_not_found(qa, create_application):
    winner = to_winner(qa, create_application(county="hetang"))

    with pytest.raises(NotFound):
        printing.certificate(qa["lusong"], winner.id)


def test_notice_lists_the_noticed_applicants_and_period(qa, create_application):
    winner = to_winner(qa, create_application())
    create_application(kind="individual")

    text = _text(printing.winners_notice(qa["office"], winner.cycle_id).render())

    assert "获奖建议名单公示" in text
    assert winner.organisation.name in text
    assert "刘质量" not in text
    assert "2026年7月1日" in text
    assert "2026年7月7日" in text
    assert "实名" in text


def test_notice_refused_while_nobody_is_noticed(qa, create_application):
    create_application()

    with pytest.raises(RuleViolation):
        printing.winners_notice(qa["office"], qa["cycle"].id)


def test_certificate_route_serves_a_pdf(client, login, qa, create_application):
    winner = to_winner(qa, create_application())
    login(qa["lusong"])

    response = client.get(f"/admin/quality_award_detail/{winner.id}/certificate.pdf")

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert winner.organisation.name in _text(response.data)


def test_certificate_route_refuses_another_county(
    client, login, qa, create_application
):
    winner = to_winner(qa, create_application(county="hetang"))
    login(qa["lusong"])

    response = client.get(f"/admin/quality_award_detail/{winner.id}/certificate.pdf")

    assert response.status_code == 302


def test_notice_route_serves_a_pdf_linked_from_the_detail_page(
    client, login, qa, create_application
):
    winner = to_winner(qa, create_application())
    login(qa["office"])

    page = client.get(f"/admin/quality_award_detail/{winner.id}").get_data(True)
    response = client.get(
        f"/admin/quality_award_detail/cycle/{winner.cycle_id}/notice.pdf"
    )

    assert f"cycle/{winner.cycle_id}/notice.pdf" in page
    assert "certificate.pdf" in page
    assert response.mimetype == "application/pdf"
    assert winner.organisation.name in _text(response.data)


def test_overview_charts_count_the_visible_applications(
    client, login, qa, create_application
):
    to_winner(qa, create_application())
    create_application(kind="individual")
    login(qa["office"])

    page = client.get("/admin/quality_award-overview/").get_data(as_text=True)

    assert "data-chart" in page
    assert "已获奖" in page
    assert "草稿" in page
    assert "芦淞区" in page


def test_overview_is_scoped_to_the_county(client, login, qa, create_application):
    create_application(county="hetang")
    create_application(county="lusong", kind="individual")
    login(qa["lusong"])

    response = client.get("/admin/quality_award-overview/")

    assert response.status_code == 200
    assert "荷塘区" not in response.get_data(as_text=True)
    assert "芦淞区" in response.get_data(as_text=True)
