"""The JSON API: happy paths, problem+json errors, scope and permissions."""

from tests.modules.dual_random.conftest import ALL, make_uscc

BASE = "/api/v1/dual-random"


def test_create_target_returns_201(api, depts, create_user):
    user = create_user(depts["market"], ALL)

    response = api(user).post(
        f"{BASE}/targets",
        json={
            "department_id": depts["market"].id,
            "name": "甲超市",
            "uscc": make_uscc(901),
            "county_id": depts["lusong"].id,
            "risk_level": "high",
        },
    )

    assert response.status_code == 201
    assert response.json["risk_level"] == "high"


def test_bad_credit_code_is_400_with_field_error(api, depts, create_user):
    user = create_user(depts["market"], ALL)

    response = api(user).post(
        f"{BASE}/targets",
        json={
            "department_id": depts["market"].id,
            "name": "甲超市",
            "uscc": "123",
            "county_id": depts["lusong"].id,
        },
    )

    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert "uscc" in response.json["errors"]


def test_ratio_outside_range_is_400(api, depts, create_user, create_item):
    user = create_user(depts["market"], ALL)
    item = create_item(depts["market"])

    response = api(user).post(
        f"{BASE}/tasks",
        json={
            "department_id": depts["market"].id,
            "title": "x",
            "item_ids": [item.id],
            "sample_ratio": "1.2",
        },
    )

    assert response.status_code == 400
    assert "sample_ratio" in response.json["errors"]


def test_target_of_another_county_is_404(api, depts, create_user, create_target):
    target = create_target(depts["hetang"], depts["hetang"])
    user = create_user(depts["lusong"], ALL)

    response = api(user).get(f"{BASE}/targets/{target.id}")

    assert response.status_code == 404


def test_county_user_sees_targets_in_its_county(api, depts, create_user, create_target):
    target = create_target(depts["market"], depts["lusong"])
    create_target(depts["market"], depts["hetang"])
    user = create_user(depts["lusong"], ALL)

    response = api(user).get(f"{BASE}/targets")

    assert [t["id"] for t in response.json] == [target.id]


def test_without_permission_is_403(api, depts, create_user):
    user = create_user(depts["market"], ["dual_random.view"])

    response = api(user).post(f"{BASE}/tasks/1/draws", json={})

    assert response.status_code == 403


def test_draw_match_and_get_draw(api, simple_task, depts, create_user):
    user = create_user(depts["market"], ALL)
    client = api(user)
    task_id = simple_task["task"].id

    drawn = client.post(f"{BASE}/tasks/{task_id}/draws", json={})
    matched = client.post(f"{BASE}/tasks/{task_id}/match")
    again = client.get(f"{BASE}/draws/{drawn.json['id']}")

    assert drawn.status_code == 201
    assert len(drawn.json["target_ids"]) == 5
    assert matched.status_code == 200
    assert again.json["seed"] == drawn.json["seed"]
    assert len(again.json["assignments"]) == 5


def test_redraw_without_reason_is_400(api, simple_task, depts, create_user):
    client = api(create_user(depts["market"], ALL))
    task_id = simple_task["task"].id
    client.post(f"{BASE}/tasks/{task_id}/draws", json={})

    response = client.post(f"{BASE}/tasks/{task_id}/draws", json={})

    assert response.status_code == 400
    assert "reason" in response.json["errors"]


def test_publish_unfinished_task_is_422(api, simple_task, depts, create_user):
    client = api(create_user(depts["market"], ALL))

    response = client.post(f"{BASE}/tasks/{simple_task['task'].id}/publish", json={})

    assert response.status_code == 422
    assert response.json["article"] == "task 9"


def test_import_targets_via_api(api, depts, create_user):
    from tests.modules.dual_random.test_spreadsheets import xlsx

    client = api(create_user(depts["market"], ALL))
    stream = xlsx([["Name", "County"], ["甲店", depts["lusong"].code]])

    response = client.post(
        f"{BASE}/targets/import",
        data={"department_id": str(depts["market"].id), "file": (stream, "t.xlsx")},
        content_type="multipart/form-data",
    )

    assert response.status_code == 201
    assert response.json == {"imported": 1}


def test_key_share_endpoint(api, depts, create_user, create_item):
    create_item(depts["market"], is_key=True)
    client = api(create_user(depts["market"], ALL))

    response = client.get(f"{BASE}/departments/{depts['market'].id}/key-share")

    assert response.json["share"] == "1.0000"
    assert response.json["within_limit"] is False


def test_malformed_body_is_400(api, depts, create_user):
    client = api(create_user(depts["market"], ALL))

    response = client.post(f"{BASE}/plans", json={"year": "soon"})

    assert response.status_code == 400
    assert {"year", "kind", "title", "department_id"} <= set(response.json["errors"])
