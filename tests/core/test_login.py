"""Sign-in, throttling and the Chinese login page."""

from tests.conftest import PASSWORD


def test_login_page_is_chinese(client):
    page = client.get("/admin/login/").get_data(as_text=True)

    assert "登录" in page


def test_login_page_switches_to_english(client):
    page = client.get("/admin/login/?lang=en").get_data(as_text=True)

    assert "Sign in" in page


def test_good_password_signs_in(db, city, create_user, client, login):
    user = create_user(city["city"])

    response = login(user)

    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_locks_after_repeated_failures(db, city, create_user, client, login, app):
    user = create_user(city["city"])
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        login(user, "wrong-password")

    response = login(user, PASSWORD)

    assert response.status_code == 200
    assert client.get("/admin/").status_code == 302
