"""The overview charts, the printable results notice and the list labels."""

import html
import io
import json
import re
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader

from core.errors import RuleViolation
from core.extensions import db
from modules.dual_random import documents, overview, services
from tests.modules.dual_random.conftest import ALL, ROOT


def _charts(page: str) -> list[dict]:
    return [
        json.loads(html.unescape(raw))
        for raw in re.findall(r'data-chart="([^"]*)"', page)
    ]


def _published(simple_task, violation_fine=None):
    """Take the task through draw, matching and results to publication."""
    task = simple_task["task"]
    services.draw_targets(ROOT, task.id)
    record = services.match_inspectors(ROOT, task.id)
    for n, target_id in enumerate(services.drawn_ids(record)):
        violation = n == 0 and violation_fine is not None
        services.record_result(
            ROOT,
            {
                "task_id": task.id,
                "target_id": target_id,
                "item_id": simple_task["item"].id,
                "outcome": "violation" if violation else "compliant",
                "penalty": "责令改正" if violation else "",
                "fine_yuan": violation_fine if violation else None,
                "inspected_on": date(2026, 9, 20),
            },
        )
    services.complete_task(ROOT, task.id, date(2026, 9, 28))
    services.publish_results(ROOT, task.id, date(2026, 10, 9))
    db.session.commit()
    return task


def _pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_overview_page_renders_charts(client, login, depts, create_user, simple_task):
    services.draw_targets(ROOT, simple_task["task"].id)
    db.session.commit()
    login(create_user(depts["market"], ["dual_random.view"]))

    response = client.get("/admin/dual-random-overview/")

    assert response.status_code == 200
    stages, counties = _charts(response.get_data(as_text=True))
    assert stages["xAxis"]["data"][1] == "已抽取对象"
    assert stages["series"][0]["data"] == [0, 1, 0, 0, 0]
    assert counties["xAxis"]["data"] == ["芦淞区"]
    assert [s["data"] for s in counties["series"]] == [[20], [5], [0]]


def test_overview_page_needs_view_permission(client, login, depts, create_user):
    login(create_user(depts["market"], []))

    response = client.get("/admin/dual-random-overview/")

    assert response.status_code == 302


def test_overview_counties_are_scoped(client, login, depts, create_user, create_target):
    create_target(depts["market"], depts["lusong"])
    create_target(depts["market"], depts["hetang"])
    login(create_user(depts["lusong"], ALL))

    page = client.get("/admin/dual-random-overview/").get_data(as_text=True)

    assert _charts(page)[1]["xAxis"]["data"] == ["芦淞区"]


def test_stage_chart_is_scoped(db, depts, create_user, simple_task):
    services.draw_targets(ROOT, simple_task["task"].id)
    db.session.commit()

    chart = overview.tasks_by_stage(create_user(depts["hetang"], ALL))

    assert sum(chart.series[next(iter(chart.series))]) == 0


def test_county_chart_counts_only_the_draw_in_force(db, depts, simple_task):
    task_id = simple_task["task"].id
    services.draw_targets(ROOT, task_id)
    services.draw_targets(ROOT, task_id, reason="抽取对象有误")

    chart = overview.targets_by_county(ROOT)

    assert list(chart.series.values())[1] == [5]


def test_counties_count_targets_with_violations(db, depts, simple_task):
    _published(simple_task, violation_fine=Decimal("2000"))

    chart = overview.targets_by_county(ROOT)

    assert list(chart.series.values())[2] == [1]


def test_results_pdf_holds_the_published_results(
    client, login, depts, create_user, simple_task
):
    task = _published(simple_task, violation_fine=Decimal("12345.6"))
    login(create_user(depts["market"], ALL))

    response = client.get(f"/admin/dual_random_tasks/results/{task.id}.pdf")

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    text = _pdf_text(response.data)
    assert "随机抽查结果公示" in text
    assert task.title in text
    assert "责令改正" in text
    assert "12,345.60" in text
    assert "2026年10月9日" in text
    assert "市市场监督管理局" in text


def test_results_pdf_of_withheld_results_lists_no_results(db, app, simple_task):
    task = _published(simple_task)
    task.withheld_reason = "涉及国家秘密"

    with app.test_request_context():
        text = _pdf_text(documents.results_notice(task).render())

    assert "涉及国家秘密" in text
    assert "未发现问题" not in text


def test_results_pdf_of_unpublished_task_is_refused(db, app, simple_task):
    services.draw_targets(ROOT, simple_task["task"].id)

    with app.test_request_context(), pytest.raises(RuleViolation):
        documents.results_notice(simple_task["task"])


def test_results_pdf_of_unpublished_task_redirects(
    client, login, depts, create_user, simple_task
):
    login(create_user(depts["market"], ALL))

    response = client.get(
        f"/admin/dual_random_tasks/results/{simple_task['task'].id}.pdf"
    )

    assert response.status_code == 302


def test_results_pdf_of_another_department_is_refused(
    client, login, depts, create_user, simple_task
):
    task = _published(simple_task)
    login(create_user(depts["hetang"], ALL))

    response = client.get(f"/admin/dual_random_tasks/results/{task.id}.pdf")

    # The portal answers a record out of scope like a missing one: a flash.
    assert response.status_code == 302
    assert response.mimetype != "application/pdf"


def test_task_page_links_the_pdf_once_published(
    client, login, depts, create_user, simple_task
):
    task = _published(simple_task)
    login(create_user(depts["market"], ALL))

    page = client.get(f"/admin/dual_random_tasks/details/?id={task.id}").text

    assert f"/admin/dual_random_tasks/results/{task.id}.pdf" in page


def test_lists_show_chinese_labels(client, login, depts, create_user, simple_task):
    task = _published(simple_task, violation_fine=Decimal("12345.6"))
    login(create_user(depts["market"], ALL))

    items = client.get("/admin/dual_random_items/").text
    tasks = client.get("/admin/dual_random_tasks/").text
    results = client.get("/admin/dual_random_results/").text
    details = client.get(f"/admin/dual_random_tasks/details/?id={task.id}").text

    assert "实地核查" in items and "5%" in items and "食品安全" in items
    assert "结果已公示" in tasks
    assert "发现违法违规" in results and "12,345.60" in results
    assert "不分层" in details


def test_plan_list_shows_chinese_labels(client, login, depts, create_user):
    from modules.dual_random.models import PlanKind

    services.create_plan(
        ROOT,
        {
            "department_id": depts["market"].id,
            "kind": PlanKind.JOINT,
            "year": 2026,
            "title": "联合计划",
        },
    )
    db.session.commit()
    login(create_user(depts["market"], ALL))

    page = client.get("/admin/dual_random_plans/").text

    assert "联合抽查计划" in page and "草稿" in page
