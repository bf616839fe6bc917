"""The result notice as a PDF: Chinese text, the committee's decision, scope."""

import io
from datetime import date

from pypdf import PdfReader

from modules.safety_assessment import services
from tests.modules.safety_assessment.conftest import EDIT_PERMISSIONS


def _approved_notice_of(department, create_year, db):
    year = create_year()
    record = services.assessment_of(services.unit_for_department(department), year)
    services.approve_results(year, "安委会〔2027〕1号", date(2027, 1, 20))
    db.session.commit()
    return record


def _text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    # Lines wrap anywhere in Chinese text, so the checks read it unwrapped.
    return "".join(page.extract_text() for page in reader.pages).replace("\n", "")


def test_notice_pdf_carries_the_result_in_chinese(
    client, login, city_user, city, create_year, db
):
    record = _approved_notice_of(city["lusong"], create_year, db)
    login(city_user)

    response = client.get(f"/admin/safety_assessment_results/notice/{record.id}.pdf")

    text = _text(response.data)
    assert response.mimetype == "application/pdf"
    assert "2026 年度安全生产和消防工作考核结果通知" in text
    assert "芦淞区" in text
    assert "安委会〔2027〕1号" in text
    assert "2027年1月20日" in text
    assert "优秀" in text


def test_notice_pdf_is_chinese_for_an_english_page(
    client, login, city_user, city, create_year, db
):
    record = _approved_notice_of(city["lusong"], create_year, db)
    login(city_user)
    client.get("/admin/?lang=en")

    response = client.get(f"/admin/safety_assessment_results/notice/{record.id}.pdf")

    assert "考核结果通知" in _text(response.data)


def test_notice_pdf_of_another_county_is_not_found(
    client, login, create_user, city, create_year, db
):
    record = _approved_notice_of(city["hetang"], create_year, db)
    login(create_user(city["lusong"], EDIT_PERMISSIONS))

    response = client.get(f"/admin/safety_assessment_results/notice/{record.id}.pdf")

    assert response.status_code == 404


def test_notice_pdf_without_permission_redirects(
    client, login, create_user, city, create_year, db
):
    record = _approved_notice_of(city["lusong"], create_year, db)
    login(create_user(city["lusong"]))

    response = client.get(f"/admin/safety_assessment_results/notice/{record.id}.pdf")

    assert response.status_code == 302


def test_notice_pdf_before_approval_is_refused(
    client, login, city_user, city, create_year, db
):
    year = create_year()
    record = services.assessment_of(services.unit_for_department(city["lusong"]), year)
    db.session.commit()
    login(city_user)

    response = client.get(f"/admin/safety_assessment_results/notice/{record.id}.pdf")

    assert response.status_code == 302


def test_notice_page_links_the_pdf(client, login, city_user, city, create_year, db):
    record = _approved_notice_of(city["lusong"], create_year, db)
    login(city_user)

    page = client.get(f"/admin/safety_assessment_results/notice/{record.id}")

    assert f"/notice/{record.id}.pdf" in page.get_data(as_text=True)
