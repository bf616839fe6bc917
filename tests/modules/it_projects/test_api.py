"""The API: scope check, applications, decisions, changes and funds."""

from sqlalchemy import func, select

from modules.it_projects.models import ItProject, ProjectFunding, ProjectStep
from tests.modules.it_projects.conftest import APPLICATION_DOCUMENTS

BASE = "/api/v1/it-projects"


def scope_check(api, user, **body):
    return api(user).post(
        f"{BASE}/scope-check", json={"funding_sources": ["fiscal"], **body}
    )


def test_scope_check_exactly_50000_yuan_is_out(api, people):
    response = scope_check(api, people["viewer"], software_development="50000.00")

    assert response.status_code == 200
    assert response.json["in_scope"] is False
    assert "below_thresholds" in [r["code"] for r in response.json["reasons"]]


def test_scope_check_50001_yuan_is_in_with_reasons(api, people):
    response = scope_check(api, people["viewer"], software_development="50001")

    assert response.json["in_scope"] is True
    codes = [r["code"] for r in response.json["reasons"]]
    assert codes == ["public_funds", "software_over_threshold"]
    assert all(r["message"] for r in response.json["reasons"])


def test_scope_check_one_fen_over_is_in(api, people):
    response = scope_check(api, people["viewer"], system_integration="100000.01")

    assert response.json["in_scope"] is True


def test_scope_check_thirty_digit_amount_is_refused(api, people):
    response = scope_check(
        api, people["viewer"], software_development="9" * 30 + ".001"
    )

    assert response.status_code == 400
    assert "software_development" in response.get_data(as_text=True)


def test_scope_check_secrecy_is_out(api, people):
    response = scope_check(
        api, people["viewer"], software_development="900000", secrecy=True
    )

    assert response.json["in_scope"] is False
    assert response.json["reasons"][0]["code"] == "secrecy_excluded"


def test_scope_check_negative_amount_is_400_with_field_errors(api, people):
    response = scope_check(api, people["viewer"], software_development="-1")

    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert "software_development" in response.json["errors"]


def test_scope_check_three_decimals_is_400(api, people):
    response = scope_check(api, people["viewer"], software_development="1.001")

    assert "software_development" in response.json["errors"]


def test_scope_check_garbage_is_400_not_500(api, people):
    response = api(people["viewer"]).post(
        f"{BASE}/scope-check",
        json={"software_development": {"a": 1}, "funding_sources": "x"},
    )

    assert response.status_code == 400


def application_body(**overrides):
    body = {
        "title": "荷塘区智慧社区平台",
        "funding_sources": ["fiscal"],
        "concerns": ["public_interests"],
        "software_development": "300000.00",
        "system_integration": "200000.00",
        "investment_estimate": "600000.00",
        "data_needs": "人口、房屋数据",
        "data_contribution": "社区网格数据共享",
        "funding_plan": "区财政",
        "deployment": "株洲大数据平台",
        "scope_description": "社区治理",
        "construction_standard": "省标准",
        "applied_on": "2025-08-20",
        "documents": APPLICATION_DOCUMENTS,
    }
    body.update(overrides)
    return body


def test_apply_returns_201_with_the_project(api, people, create_call):
    create_call()

    response = api(people["applicant"]).post(
        f"{BASE}/projects", json=application_body()
    )

    assert response.status_code == 201
    assert response.json["status"] == "submitted"
    assert response.json["investment_estimate"] == "600000.00"


def test_apply_missing_document_is_400_and_writes_nothing(api, people, db, create_call):
    create_call()

    response = api(people["applicant"]).post(
        f"{BASE}/projects", json=application_body(documents=APPLICATION_DOCUMENTS[:3])
    )

    assert response.status_code == 400
    assert "documents" in response.json["errors"]
    assert db.session.scalar(select(func.count()).select_from(ItProject)) == 0


def test_apply_negative_estimate_is_400(api, people, create_call):
    create_call()

    response = api(people["applicant"]).post(
        f"{BASE}/projects", json=application_body(investment_estimate="-5")
    )

    assert response.status_code == 400
    assert "investment_estimate" in response.json["errors"]


def test_apply_out_of_scope_is_422_with_the_article(api, people, create_call):
    create_call()

    response = api(people["applicant"]).post(
        f"{BASE}/projects",
        json=application_body(
            software_development="50000", system_integration="100000"
        ),
    )

    assert response.status_code == 422
    assert response.json["article"] == "art. 3"


def test_apply_without_permission_is_403(api, people, create_call):
    create_call()

    response = api(people["viewer"]).post(f"{BASE}/projects", json=application_body())

    assert response.status_code == 403


def test_another_countys_project_is_404(api, people, create_project):
    project = create_project()

    response = api(people["other_applicant"]).get(f"{BASE}/projects/{project.id}")

    assert response.status_code == 404


def test_project_list_is_scoped_by_department(api, people, create_project):
    create_project()
    create_project(user=people["other_applicant"], title="荷塘区项目")

    own = api(people["applicant"]).get(f"{BASE}/projects").json
    city = api(people["reviewer"]).get(f"{BASE}/projects").json

    assert [p["title"] for p in own] == ["芦淞区政务服务数据共享平台"]
    assert len(city) == 2


def decide(api, user, project_id, **body):
    return api(user).post(f"{BASE}/projects/{project_id}/decisions", json=body)


def test_decision_with_negative_amount_is_400(api, people, approved_project):
    response = decide(
        api,
        people["applicant"],
        approved_project.id,
        action="submit_construction_plan",
        decided_on="2025-10-01",
        amount="-1",
    )

    assert response.status_code == 400
    assert "amount" in response.json["errors"]


def test_technical_review_decision_after_the_state_is_422(
    api, people, create_project, db
):
    project = create_project()

    response = decide(
        api,
        people["reviewer"],
        project.id,
        action="technical_review",
        decided_on="2025-10-01",
    )

    assert response.status_code == 422
    assert "status" in response.json["errors"]
    assert db.session.scalar(select(func.count()).select_from(ProjectStep)) == 0


def test_decision_with_a_stale_version_is_409(api, people, create_project):
    project = create_project()

    response = decide(
        api,
        people["reviewer"],
        project.id,
        action="initial_review",
        decided_on="2025-09-01",
        expected_version=99,
    )

    assert response.status_code == 409


def test_funding_an_unapproved_project_is_422(api, people, create_project, db):
    project = create_project()

    response = api(people["finance"]).post(
        f"{BASE}/projects/{project.id}/fundings",
        json={"amount": "1000", "paid_on": "2025-09-01"},
    )

    assert response.status_code == 422
    assert response.json["article"] == "art. 14"
    assert db.session.scalar(select(func.count()).select_from(ProjectFunding)) == 0


def test_create_call_with_configured_dates(api, people):
    response = api(people["reviewer"]).post(
        f"{BASE}/calls",
        json={"plan_year": 2027, "opens_on": "2026-08-03", "closes_on": "2026-08-28"},
    )

    assert response.status_code == 201
    assert response.json["closes_on"] == "2026-08-28"


def test_create_call_by_an_applicant_is_403(api, people):
    response = api(people["applicant"]).post(f"{BASE}/calls", json={"plan_year": 2027})

    assert response.status_code == 403


def test_project_from_the_august_call_to_settlement_with_a_change(
    api, people, create_call
):
    create_call()
    unit, reviewer = api(people["applicant"]), api(people["reviewer"])
    finance, planner = api(people["finance"]), api(people["planner"])

    project = unit.post(f"{BASE}/projects", json=application_body()).json
    pid = project["id"]

    def step(client, action, day, **extra):
        response = client.post(
            f"{BASE}/projects/{pid}/decisions",
            json={"action": action, "decided_on": day, "opinion": "同意", **extra},
        )
        assert response.status_code == 201, response.json
        return response.json

    step(reviewer, "initial_review", "2025-09-05")
    step(reviewer, "draft_plan", "2025-09-20")
    step(finance, "confirm_funds", "2025-10-10")
    step(planner, "submit_to_committee", "2025-10-20")
    approved = step(
        planner,
        "approve_project",
        "2025-12-15",
        documents=[
            {
                "kind": "approval_document",
                "title": "立项批复",
                "reference": "株发改〔2025〕88号",
            }
        ],
    )
    assert approved["approved_investment"] == "600000.00"

    change = unit.post(
        f"{BASE}/projects/{pid}/change-requests",
        json={
            "requested_on": "2026-01-05",
            "reason": "增加移动端",
            "new_investment": "650000.00",
            "new_scope": "社区治理及移动端",
        },
    )
    assert change.status_code == 201
    decided = planner.post(
        f"{BASE}/change-requests/{change.json['id']}/decision",
        json={"decided_on": "2026-01-09", "approved": True, "opinion": "同意调整"},
    )
    assert decided.json["status"] == "approved"

    step(
        unit,
        "submit_construction_plan",
        "2026-02-02",
        amount="640000",
        documents=[
            {"kind": "construction_plan", "title": "建设方案"},
            {"kind": "design_estimate", "title": "投资概算"},
        ],
    )
    started = step(reviewer, "start_technical_review", "2026-02-14", experts=True)
    assert started["review_due_on"] == "2026-03-20"
    step(reviewer, "technical_review", "2026-03-10")
    step(finance, "budget_review", "2026-03-25", amount="630000.00")
    step(
        unit,
        "procurement",
        "2026-04-20",
        amount="628000.00",
        procurement_method="tender",
        supplier="湖南某信息技术有限公司",
        responsible_person="李明",
        documents=[{"kind": "contract", "title": "合同"}],
    )
    funded = finance.post(
        f"{BASE}/projects/{pid}/fundings",
        json={"amount": "300000", "paid_on": "2026-05-06"},
    )
    assert funded.status_code == 201
    step(
        unit,
        "acceptance",
        "2026-11-16",
        documents=[{"kind": "acceptance_report", "title": "验收报告"}],
    )
    final = step(
        finance,
        "settlement",
        "2026-12-18",
        amount="627500.00",
        documents=[{"kind": "settlement_document", "title": "结算书"}],
    )

    assert final["status"] == "settled"
    assert final["baseline_investment"] == "600000.00"
    assert final["approved_investment"] == "650000.00"
    assert final["baseline_scope"] == "社区治理"
    assert final["scope_description"] == "社区治理及移动端"
    assert [c["status"] for c in final["changes"]] == ["approved"]
    assert final["changes"][0]["before_investment"] == "600000.00"
    assert len(final["steps"]) == 12
    assert final["funded"] == "300000.00"
    assert final["responsible_person"] == "李明"
