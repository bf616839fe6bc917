"""The working-day calendar: holidays, make-up days, confirmed years, the API."""

import subprocess
import sys
import textwrap
from datetime import date

import pytest

from core import calendar
from core.errors import InvalidInput
from core.models import DayKind


def test_national_day_week_is_skipped(db):
    answer = calendar.add_working_days(date(2026, 9, 30), 1)

    assert answer.value == date(2026, 10, 8)
    assert answer.confirmed is True


def test_make_up_saturday_is_a_working_day(db):
    assert calendar.is_working_day(date(2026, 2, 14)).value is True


def test_plain_saturday_is_not_a_working_day(db):
    assert calendar.is_working_day(date(2026, 6, 13)).value is False


def test_start_on_a_holiday_counts_from_the_next_working_day(db):
    # 2026-10-01 is a holiday; the first working day after it is 2026-10-08,
    # and a 10-10 make-up Saturday follows.
    assert calendar.add_working_days(date(2026, 10, 1), 1).value == date(2026, 10, 8)
    assert calendar.add_working_days(date(2026, 10, 1), 3).value == date(2026, 10, 10)


def test_zero_days_on_a_working_day_is_that_day(db):
    assert calendar.add_working_days(date(2026, 6, 15), 0).value == date(2026, 6, 15)


def test_zero_days_on_a_holiday_is_the_next_working_day(db):
    assert calendar.add_working_days(date(2026, 10, 3), 0).value == date(2026, 10, 8)


def test_negative_days_count_backwards(db):
    assert calendar.add_working_days(date(2026, 10, 8), -1).value == date(2026, 9, 30)


def test_between_excludes_the_start_and_includes_the_end(db):
    answer = calendar.working_days_between(date(2026, 9, 30), date(2026, 10, 8))

    assert answer.value == 1


def test_between_and_add_agree(db):
    start = date(2026, 1, 5)
    end = calendar.add_working_days(start, 40).value

    assert calendar.working_days_between(start, end).value == 40


def test_unconfirmed_year_counts_weekends_only(db):
    answer = calendar.add_working_days(date(2027, 9, 30), 1)

    assert answer.value == date(2027, 10, 1)
    assert answer.confirmed is False


def test_range_crossing_into_unconfirmed_year_is_unconfirmed(db):
    answer = calendar.working_days_between(date(2026, 12, 20), date(2027, 1, 10))

    assert answer.confirmed is False


def test_administrator_schedule_changes_answers(db):
    calendar.set_year_schedule(
        2027,
        [
            (date(2027, 10, 1), DayKind.HOLIDAY, "National Day"),
            (date(2027, 10, 9), DayKind.WORKDAY, "National Day"),
        ],
        confirmed=True,
    )
    db.session.commit()

    answer = calendar.add_working_days(date(2027, 9, 30), 1)

    assert answer.value == date(2027, 10, 4)
    assert answer.confirmed is True
    assert calendar.is_working_day(date(2027, 10, 9)).value is True


def test_make_up_day_on_a_weekday_is_refused(db):
    with pytest.raises(InvalidInput) as error:
        calendar.set_year_schedule(
            2027, [(date(2027, 10, 8), DayKind.WORKDAY, "x")], confirmed=True
        )

    assert "days[0]" in error.value.errors


def test_absurd_day_count_is_refused(db):
    with pytest.raises(InvalidInput) as error:
        calendar.add_working_days(date(2026, 1, 1), 10_001)

    assert "days" in error.value.errors


@pytest.fixture
def caller(db, city, create_user, api):
    """An API client of a signed-in city user."""
    return api(create_user(city["city"]))


def test_api_needs_authentication(client):
    response = client.get("/api/v1/calendar/days/2026-02-14")

    assert response.status_code == 401


def test_api_add_working_days(caller):
    body = caller.get(
        "/api/v1/calendar/add-working-days?start=2026-09-30&days=1"
    ).get_json()

    assert body["date"] == "2026-10-08"
    assert body["confirmed"] is True


def test_api_day(caller):
    body = caller.get("/api/v1/calendar/days/2026-02-14").get_json()

    assert body == {"date": "2026-02-14", "is_working_day": True, "confirmed": True}


@pytest.mark.parametrize(
    "url, field",
    [
        ("/api/v1/calendar/add-working-days?start=2026-13-01&days=1", "start"),
        ("/api/v1/calendar/add-working-days?start=2026-01-01&days=x", "days"),
        ("/api/v1/calendar/add-working-days?start=2026-01-01&days=20000", "days"),
        (
            "/api/v1/calendar/working-days-between?start=2026-02-01&end=2026-01-01",
            "end",
        ),
        ("/api/v1/calendar/days/yesterday", "date"),
    ],
)
def test_api_bad_input_is_400_naming_the_field(caller, url, field):
    response = caller.get(url)

    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert field in response.get_json()["errors"]


def test_api_between_crossing_unconfirmed_year(caller):
    body = caller.get(
        "/api/v1/calendar/working-days-between?start=2026-12-01&end=2027-01-15"
    ).get_json()

    assert body["confirmed"] is False


def test_edit_is_seen_by_a_second_process(app, db, tmp_path):
    """Another worker process notices an administrator's edit without a restart."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    script = tmp_path / "watch.py"
    script.write_text(
        textwrap.dedent(f"""
        import sys, time
        from datetime import date
        sys.path.insert(0, {str(app.root_path + "/..")!r})
        from core.app import create_app
        from core import calendar
        app = create_app({{"SQLALCHEMY_DATABASE_URI": {url!r},
                          "CALENDAR_REFRESH_SECONDS": 0.2}})
        with app.app_context():
            first = calendar.is_working_day(date(2027, 10, 1)).value
            print("ready", first, flush=True)
            sys.stdin.readline()
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                if not calendar.is_working_day(date(2027, 10, 1)).value:
                    print("seen", flush=True)
                    break
                calendar.db.session.remove()
                time.sleep(0.1)
            else:
                print("not seen", flush=True)
    """)
    )
    watcher = subprocess.Popen(
        [sys.executable, str(script)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert watcher.stdout.readline().split() == ["ready", "True"]

    calendar.set_year_schedule(
        2027, [(date(2027, 10, 1), DayKind.HOLIDAY, "National Day")], confirmed=True
    )
    db.session.commit()
    watcher.stdin.write("go\n")
    watcher.stdin.flush()

    assert watcher.stdout.readline().strip() == "seen"
    watcher.wait(timeout=10)


def test_calendar_page_shows_a_year_and_saves_an_uploaded_schedule(
    app, db, city, create_user, login, client
):
    import io

    from core.models.calendar import CalendarYear

    login(create_user(city["city"], ["core.calendar.edit"]))
    upload = "日期,类型,名称\n2031-10-01,节假日,国庆节\n2031-09-27,调休上班,国庆节\n"

    saved = client.post(
        "/admin/calendar/2031",
        data={"upload": (io.BytesIO(upload.encode()), "2031.csv"), "confirmed": "1"},
        content_type="multipart/form-data",
    )
    page = client.get("/admin/calendar/2031")

    assert saved.status_code == 302
    assert page.status_code == 200
    assert "国庆节" in page.get_data(as_text=True)
    assert db.session.get(CalendarYear, 2031).confirmed is True
    assert client.get("/admin/calendar/99999").status_code == 404
