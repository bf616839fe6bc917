"""Portal pages, public pages, reports and jobs."""

from datetime import date

from core.reports import ReportParams
from modules.dual_random import jobs, reports, services
from tests.modules.dual_random.conftest import ALL, ROOT


def test_portal_pages_render(client, login, depts, create_user, simple_task):
    login(create_user(depts["market"], ALL))
    services.draw_targets(ROOT, simple_task["task"].id)
    services.match_inspectors(ROOT, simple_task["task"].id)
    from core.extensions import db

    db.session.commit()
    task_id = simple_task["task"].id
    target_id = services.drawn_ids(simple_task["task"].current_draw)[0]

    for url in (
        "/admin/dual_random_items/",
        "/admin/dual_random_targets/",
        "/admin/dual_random_inspectors/",
        "/admin/dual_random_conflicts/",
        "/admin/dual_random_plans/",
        "/admin/dual_random_tasks/",
        f"/admin/dual_random_tasks/details/?id={task_id}",
        f"/admin/dual_random_tasks/record/{task_id}/{target_id}",
        "/admin/dual_random_results/",
        "/admin/dual_random_files/",
    ):
        assert client.get(url).status_code == 200, url


def test_target_list_is_scoped_to_county(
    client, login, depts, create_user, create_target
):
    create_target(depts["market"], depts["lusong"], name="芦淞某店")
    create_target(depts["market"], depts["hetang"], name="荷塘某店")
    login(create_user(depts["lusong"], ALL))

    page = client.get("/admin/dual_random_targets/").get_data(as_text=True)

    assert "芦淞某店" in page
    assert "荷塘某店" not in page


def test_draw_button_draws(client, login, depts, create_user, simple_task):
    login(create_user(depts["market"], ALL))

    response = client.post(
        "/admin/dual_random_tasks/draw", data={"task_id": simple_task["task"].id}
    )

    assert response.status_code == 302
    assert simple_task["task"].current_draw is not None


def test_import_page_reports_bad_rows(client, login, depts, create_user):
    from tests.modules.dual_random.test_spreadsheets import xlsx

    login(create_user(depts["market"], ALL))
    stream = xlsx(
        [["Name", "Unified social credit code", "County"], ["甲", "bad", "x"]]
    )

    base = "/admin/imports/dual-random-targets"
    uploaded = client.post(
        f"{base}/",
        data={"department_id": depts["market"].id, "file": (stream, "t.xlsx")},
        content_type="multipart/form-data",
    )
    token = uploaded.headers["Location"].rsplit("/", 1)[-1]
    client.post(f"{base}/{token}/check")
    page = client.get(f"{base}/{token}").get_data(as_text=True)

    assert 'id="import-errors"' in page
    assert 'id="apply-form"' not in page


def test_export_download(client, login, depts, create_user, create_target):
    create_target(depts["market"], depts["lusong"])
    login(create_user(depts["market"], ALL))

    response = client.get("/admin/dual_random_files/export/targets")

    assert response.status_code == 200
    assert response.data[:2] == b"PK"


def test_public_pages_need_no_login(client, simple_task):
    record = services.draw_targets(ROOT, simple_task["task"].id)
    from core.extensions import db

    db.session.commit()

    for url in (
        "/public/dual-random/",
        "/public/dual-random/items",
        "/public/dual-random/plans",
        "/public/dual-random/tasks",
        f"/public/dual-random/tasks/{simple_task['task'].id}",
        "/public/dual-random/results",
    ):
        assert client.get(url).status_code == 200, url
    page = client.get(f"/public/dual-random/draws/{record.id}/verify")
    assert 'class="ok"' in page.get_data(as_text=True)


def test_public_verify_with_wrong_seed_shows_mismatch(client, simple_task):
    record = services.draw_targets(ROOT, simple_task["task"].id, seed="99")
    from core.extensions import db

    db.session.commit()

    page = client.get(f"/public/dual-random/draws/{record.id}/verify?seed=98")

    assert 'class="bad"' in page.get_data(as_text=True)


def test_public_candidate_list_matches_fingerprint(client, simple_task):
    from modules.dual_random import rules

    record = services.draw_targets(ROOT, simple_task["task"].id)
    from core.extensions import db

    db.session.commit()

    text = client.get(f"/public/dual-random/draws/{record.id}/candidates.txt").text
    ids = sorted(int(line.split("\t")[0]) for line in text.splitlines())

    assert rules.fingerprint(ids) == record.fingerprint


def test_draft_task_is_not_public(client, simple_task):
    response = client.get(f"/public/dual-random/tasks/{simple_task['task'].id}")

    assert response.status_code == 404


def test_monthly_report_lists_task(db, depts, simple_task):
    services.draw_targets(ROOT, simple_task["task"].id)
    params = ReportParams(depts["market"], date(2020, 1, 1), date(2030, 12, 31))

    table = reports.monthly_tasks(params)

    assert [r["task"] for r in table.rows] == [simple_task["task"].title]
    assert table.rows[0]["targets"] == 5


def test_monthly_report_of_other_county_is_empty(db, depts, simple_task):
    params = ReportParams(depts["hetang"], date(2020, 1, 1), date(2030, 12, 31))

    assert reports.monthly_tasks(params).is_empty


def test_joint_plan_progress_report(db, depts, create_item, create_task):
    from modules.dual_random.models import PlanKind

    plan = services.create_plan(
        ROOT,
        {
            "department_id": depts["market"].id,
            "kind": PlanKind.JOINT,
            "year": 2026,
            "title": "联合计划",
        },
    )
    create_task(depts["market"], [create_item(depts["market"])], plan_id=plan.id)
    params = ReportParams(depts["market"], date(2026, 1, 1), date(2026, 12, 31))

    table = reports.joint_plan_progress(params)

    assert table.rows[0]["tasks"] == 1
    assert table.rows[0]["progress"] == "0%"


def test_reminder_job_runs(db, depts):
    from modules.dual_random.models import PlanKind, Reminder

    services.create_plan(
        ROOT,
        {
            "department_id": depts["market"].id,
            "kind": PlanKind.DEPARTMENT,
            "year": 2020,
            "title": "旧计划",
        },
    )
    db.session.commit()

    made = jobs.send_reminders()

    assert made == 1
    assert db.session.query(Reminder).count() == 1
