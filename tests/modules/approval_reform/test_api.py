"""The API: happy paths, problem+json on bad input, scope and permissions."""

from datetime import date

from sqlalchemy import func, select

from modules.approval_reform.models import Project, StageStatus
from tests.modules.approval_reform.conftest import facts

BASE = "/api/v1/approval-reform"


def body(**overrides):
    data = facts(**overrides)
    data["building_area_m2"] = str(data["building_area_m2"])
    data["height_m"] = str(data["height_m"])
    return data


def test_project_profile_small(api, staff):
    response = api(staff["lusong"]).post(f"{BASE}/project-profile", json=body())

    assert response.status_code == 200
    assert response.json == {
        "small_project": True,
        "time_limit_working_days": 50,
        "stages": [
            "engineering_permit",
            "construction_permit",
            "completion_acceptance",
        ],
        "supervision_required": False,
    }


def test_project_profile_land_sold_with_plan(api, staff):
    response = api(staff["lusong"]).post(
        f"{BASE}/project-profile",
        json=body(category="land_sold_with_plan", floors=12, height_m="40"),
    )

    assert response.json["time_limit_working_days"] == 40
    assert response.json["stages"] == [
        "project_land_use_permit",
        "engineering_construction_permit",
        "completion_acceptance",
    ]


def test_project_profile_bad_input_is_problem_json(api, staff):
    response = api(staff["lusong"]).post(
        f"{BASE}/project-profile",
        json=body(category="castle", building_area_m2="-5", floors=None),
    )

    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert set(response.json["errors"]) >= {"category", "building_area_m2", "floors"}


def test_project_profile_without_permission_is_403(api, depts, create_user):
    user = create_user(depts["lusong"], [])

    response = api(user).post(f"{BASE}/project-profile", json=body())

    assert response.status_code == 403


def test_create_and_get_project(api, staff, applicant):
    client = api(staff["lusong"])
    data = body(name="芦淞区仓储用房", organisation_id=applicant.id)
    data["registered_on"] = "2026-03-02"

    created = client.post(f"{BASE}/projects", json=data)
    fetched = client.get(f"{BASE}/projects/{created.json['id']}")

    assert created.status_code == 201
    assert fetched.status_code == 200
    assert fetched.json["is_small_project"] is True
    assert fetched.json["stages"][0]["status"] == "open"
    assert fetched.json["stages"][0]["clock"]["confirmed"] is True
    assert fetched.json["clock"]["limit"] == 50


def test_create_project_negative_height_writes_nothing(api, db, staff, applicant):
    data = body(height_m="-1", organisation_id=applicant.id, name="x")

    response = api(staff["lusong"]).post(f"{BASE}/projects", json=data)

    assert response.status_code == 400
    assert "height_m" in response.json["errors"]
    assert db.session.scalar(select(func.count()).select_from(Project)) == 0


def test_project_of_other_county_is_404(api, staff, create_project):
    project = create_project()

    response = api(staff["hetang"]).get(f"{BASE}/projects/{project.id}")

    assert response.status_code == 404


def test_project_list_scoped(api, staff, create_project):
    create_project()

    assert len(api(staff["lusong"]).get(f"{BASE}/projects").json) == 1
    assert api(staff["hetang"]).get(f"{BASE}/projects").json == []
    # The lead department of the open stage sees it too.
    assert len(api(staff["zrzyj"]).get(f"{BASE}/projects").json) == 1


def test_decision_by_lead_and_printable_record(api, staff, create_project):
    project = create_project()
    stage_id = project.stages[0].id
    client = api(staff["zrzyj"])

    decided = client.post(
        f"{BASE}/stages/{stage_id}/decision",
        json={"approve": True, "text": "准予核发", "on": "2026-03-04"},
    )
    record = client.get(f"{BASE}/stages/{stage_id}/decision")

    assert decided.status_code == 200
    assert record.json["decision_number"] == f"{project.code}-1"
    assert record.json["applicant_uscc"] == project.organisation.uscc
    assert record.json["lead_department"] == "市自然资源和规划局"
    assert record.json["outcome"] == "approved"


def test_decision_by_non_lead_refused_with_field(api, staff, create_project, db):
    project = create_project()

    response = api(staff["fgw"]).post(
        f"{BASE}/stages/{project.stages[0].id}/decision", json={"approve": True}
    )

    assert response.status_code == 404  # fgw takes no part in a small project


def test_decision_by_participating_non_lead_refused(
    api, staff, create_project, create_item, depts, db
):
    create_item("E-FIRE", department_id=depts["xfzd"].id)
    project = create_project()

    response = api(staff["xfzd"]).post(
        f"{BASE}/stages/{project.stages[0].id}/decision", json={"approve": True}
    )

    assert response.status_code == 422
    assert "department" in response.json["errors"]
    db.session.expire_all()
    assert project.stages[0].status == StageStatus.OPEN


def test_decision_on_closed_stage_refused(api, staff, create_project):
    project = create_project()
    url = f"{BASE}/stages/{project.stages[0].id}/decision"
    client = api(staff["zrzyj"])
    client.post(url, json={"approve": True, "on": "2026-03-04"})

    response = client.post(url, json={"approve": False, "text": "撤回"})

    assert response.status_code == 422
    assert "stage" in response.json["errors"]


def test_decision_bad_body_is_400(api, staff, create_project):
    project = create_project()

    response = api(staff["zrzyj"]).post(
        f"{BASE}/stages/{project.stages[0].id}/decision", json={"approve": "maybe"}
    )

    assert response.status_code == 400
    assert "approve" in response.json["errors"]


def test_pause_and_resume_api(api, staff, create_project):
    project = create_project()
    stage_id = project.stages[0].id
    client = api(staff["zrzyj"])

    paused = client.post(
        f"{BASE}/stages/{stage_id}/pause",
        json={"waiting_on": "applicant", "reason": "补正", "on": "2026-03-03"},
    )
    refused = client.post(
        f"{BASE}/stages/{stage_id}/pause",
        json={"waiting_on": "utility", "reason": "报装", "on": "2026-03-03"},
    )
    resumed = client.post(f"{BASE}/stages/{stage_id}/resume", json={"on": "2026-03-05"})

    assert paused.status_code == 201
    assert refused.status_code == 422 and "waiting_on" in refused.json["errors"]
    assert resumed.json["ended_on"] == "2026-03-05"


def test_catalogue_create_and_update(api, staff):
    client = api(staff["spj"])
    created = client.post(
        f"{BASE}/catalogue",
        json={
            "code": "E-01",
            "name": "建设工程规划许可证核发",
            "stage": "engineering_permit",
            "time_limit_working_days": 10,
            "legal_basis": "《城乡规划法》第四十条",
        },
    )
    updated = client.patch(
        f"{BASE}/catalogue/{created.json['id']}",
        json={
            "expected_version": created.json["version"],
            "time_limit_working_days": 7,
        },
    )
    stale = client.patch(
        f"{BASE}/catalogue/{created.json['id']}",
        json={"expected_version": created.json["version"], "name": "x"},
    )

    assert created.status_code == 201
    assert updated.json["revision"] == 2
    assert stale.status_code == 409


def test_catalogue_without_permission_is_403(api, depts, create_user):
    user = create_user(depts["lusong"], ["approval_reform.view"])

    response = api(user).post(f"{BASE}/catalogue", json={})

    assert response.status_code == 403


def test_commitment_and_broken_inspection_api(
    api, staff, create_project, create_item, applicant, db
):
    from core.models import CreditRecord

    item = create_item("E-SOIL", notify_and_commit=True, inspection_working_days=20)
    project = create_project()
    client = api(staff["zrzyj"])

    created = client.post(
        f"{BASE}/stages/{project.stages[0].id}/commitments",
        json={
            "catalogue_item_id": item.id,
            "commitment_text": "承诺落实水土保持措施",
            "signed_by": "王法人",
            "signed_on": "2026-03-03",
            "on": "2026-03-03",
        },
    )
    inspected = client.post(
        f"{BASE}/commitments/{created.json['id']}/inspection",
        json={"fulfilled": False, "findings": "未落实", "on": "2026-03-20"},
    )

    assert created.status_code == 201
    assert created.json["inspection_due_on"] == "2026-03-31"
    assert inspected.json["status"] == "revoked"
    record = db.session.get(CreditRecord, inspected.json["credit_record_id"])
    assert record.organisation_id == applicant.id


def test_documents_api_refuses_second_copy(api, staff, create_project):
    project = create_project(
        documents=[{"material_code": "site_plan", "title": "总平面图"}]
    )

    response = api(staff["lusong"]).post(
        f"{BASE}/projects/{project.id}/documents",
        json={"documents": [{"material_code": "site_plan", "title": "总平面图"}]},
    )

    assert response.status_code == 400
    assert "documents.0" in response.json["errors"]


def test_exemption_api(api, staff, create_project):
    project = create_project(has_basement=True)

    response = api(staff["lusong"]).post(
        f"{BASE}/projects/{project.id}/exemption",
        json={"reason": "重大复杂项目", "on": "2026-03-03"},
    )

    assert response.status_code == 200
    assert response.json["is_exempt"] is True
    assert response.json["time_limit_working_days"] is None


def test_segments_api(api, staff, create_project):
    project = create_project(category="government_linear", investment_type="government")
    segment = api(staff["lusong"]).post(
        f"{BASE}/projects/{project.id}/segments", json={"name": "K0+000—K2+000"}
    )
    api(staff["lusong"]).post(
        f"{BASE}/segments/{segment.json['id']}/land-acquisition",
        json={"on": "2026-03-03"},
    )

    permit = api(staff["zrzyj"]).post(
        f"{BASE}/segments/{segment.json['id']}/permits",
        json={"kind": "land_handover_notice", "number": "JD-001", "on": "2026-03-04"},
    )

    assert permit.status_code == 201
    assert permit.json["permits"][0]["kind"] == "land_handover_notice"


def test_openapi_lists_profile(client):
    spec = client.get("/api/v1/openapi.json").json

    assert f"{BASE}/project-profile" in spec["paths"]


def test_unauthenticated_is_401(client):
    assert client.post(f"{BASE}/project-profile", json={}).status_code == 401


def test_registered_on_today_by_default(api, staff, applicant):
    from core.timeutil import today_local

    data = body(organisation_id=applicant.id, name="默认日期")

    response = api(staff["lusong"]).post(f"{BASE}/projects", json=data)

    assert date.fromisoformat(response.json["registered_on"]) == today_local()
