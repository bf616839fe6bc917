"""Portal pages: they render for authorised users and list only what they may see."""

from datetime import date

import pytest

from modules.it_projects.models import ItProject
from modules.it_projects.rules import Status

PAGES = [
    "/admin/it-projects/projects/",
    "/admin/it-projects/calls/",
    "/admin/it-projects/changes/",
    "/admin/it-projects/fundings/",
    "/admin/it-projects/reminders/",
]


@pytest.mark.parametrize("url", PAGES)
def test_list_pages_render_for_a_viewer(client, login, people, url):
    login(people["viewer"])

    assert client.get(url).status_code == 200


def test_project_list_shows_only_the_users_county(
    client, login, people, create_project
):
    create_project()
    create_project(user=people["other_applicant"], title="荷塘区智慧社区")
    login(people["applicant"])

    page = client.get("/admin/it-projects/projects/").get_data(as_text=True)

    assert "芦淞区政务服务数据共享平台" in page
    assert "荷塘区智慧社区" not in page


def test_project_page_renders_with_the_reviewers_form(
    client, login, people, create_project
):
    project = create_project()
    login(people["reviewer"])

    page = client.get(f"/admin/it-projects/desk/projects/{project.id}")

    assert page.status_code == 200
    assert 'value="initial_review"' in page.get_data(as_text=True)


def test_project_page_of_another_county_is_404(client, login, people, create_project):
    project = create_project()
    login(people["other_applicant"])

    assert (
        client.get(f"/admin/it-projects/desk/projects/{project.id}").status_code == 404
    )


def test_portal_decision_moves_the_project(client, login, people, create_project, db):
    project = create_project()
    login(people["reviewer"])

    client.post(
        f"/admin/it-projects/desk/projects/{project.id}/decide",
        data={
            "action": "initial_review",
            "decided_on": "2025-09-01",
            "approved": "on",
            "opinion": "符合规划",
        },
    )

    assert db.session.get(ItProject, project.id).status == Status.INITIALLY_REVIEWED


def test_portal_refused_decision_shows_a_message_and_writes_nothing(
    client, login, people, create_project, db
):
    project = create_project()
    login(people["reviewer"])

    response = client.post(
        f"/admin/it-projects/desk/projects/{project.id}/decide",
        data={"action": "technical_review", "decided_on": "2025-09-01"},
        follow_redirects=True,
    )

    assert response.status_code == 200
    assert db.session.get(ItProject, project.id).status == Status.SUBMITTED


def test_apply_page_renders_for_an_applicant(client, login, people):
    login(people["applicant"])

    assert client.get("/admin/it-projects/desk/apply").status_code == 200


def test_apply_page_files_an_application(client, login, people, create_call, db):
    create_call()
    login(people["applicant"])
    data = {
        "title": "芦淞区网格化管理系统",
        "kind": "annual",
        "funding_sources": "fiscal",
        "software_development": "80000",
        "system_integration": "0",
        "investment_estimate": "90000",
        "data_needs": "网格数据",
        "data_contribution": "共享事件数据",
        "funding_plan": "区财政",
        "deployment": "大数据平台",
        "applied_on": date(2025, 8, 20).isoformat(),
        "doc_kind": [
            "application_form",
            "preliminary_plan",
            "investment_estimate",
            "funding_plan",
        ],
        "doc_title": ["申报表", "初步方案", "概算", "资金计划"],
        "doc_reference": ["", "", "", ""],
    }

    response = client.post("/admin/it-projects/desk/apply", data=data)

    assert response.status_code == 302
    assert db.session.query(ItProject).one().title == "芦淞区网格化管理系统"


def test_apply_page_is_refused_without_permission(client, login, people):
    login(people["viewer"])

    response = client.get("/admin/it-projects/desk/apply")

    assert response.status_code == 302
