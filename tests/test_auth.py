from sqlalchemy import select
from werkzeug.security import generate_password_hash

from portal.extensions import db
from portal.models import Role, User

from . import factories as f
from .helpers import login


def test_sign_in_leads_a_chef_to_the_therapist_list(client, world):
    response = login(client, world.chef_a)
    assert response.headers["Location"] == "/therapeuten"
    assert "Praxis am Markt" in client.get("/therapeuten").get_data(as_text=True)


def test_support_lands_on_the_support_console(client, world):
    assert login(client, world.support).headers["Location"] == "/support"


def test_wrong_password_is_refused_with_a_german_message(client, world):
    response = client.post("/anmelden", data={"email": world.chef_a, "password": "falsch"})
    assert response.status_code == 200
    assert "E-Mail oder Passwort ist falsch." in response.get_data(as_text=True)
    assert client.get("/therapeuten").status_code == 302


def test_unknown_email_gets_the_same_answer_as_a_wrong_password(client, world):
    response = client.post("/anmelden", data={"email": "niemand@nirgends.example", "password": "falsch"})
    assert "E-Mail oder Passwort ist falsch." in response.get_data(as_text=True)


def test_deactivated_user_cannot_sign_in(app, client, world):
    with app.app_context():
        db.session.scalar(select(User).where(User.email == world.therapeut_a)).active = False
        db.session.commit()
    response = client.post("/anmelden", data={"email": world.therapeut_a, "password": f.PASSWORD})
    assert response.status_code == 200
    assert "E-Mail oder Passwort ist falsch." in response.get_data(as_text=True)


def test_password_is_stored_as_argon2id_and_old_hashes_are_upgraded(app):
    with app.app_context():
        u = User(email="x@y.example", role=Role.CHEF)
        u.set_password("ein-geheimes-passwort")
        assert u.password_hash.startswith("$argon2id$")
        assert "ein-geheimes-passwort" not in u.password_hash
        assert u.check_password("ein-geheimes-passwort") and not u.check_password("falsch")
        u.password_hash = generate_password_hash("ein-altes-passwort")  # stored before Argon2id
        assert u.password_hash.startswith("scrypt:")
        assert not u.check_password("falsch") and u.password_hash.startswith("scrypt:")
        assert u.check_password("ein-altes-passwort") and u.password_hash.startswith("$argon2id$")
        assert u.check_password("ein-altes-passwort")


def test_a_sign_in_upgrades_an_old_hash(app, client, world):
    with app.app_context():
        assert db.session.scalar(select(User.password_hash).where(User.email == world.chef_a)).startswith("scrypt:")
    login(client, world.chef_a)
    with app.app_context():
        assert db.session.scalar(select(User.password_hash).where(User.email == world.chef_a)).startswith("$argon2id$")
    login(app.test_client(), world.chef_a)  # and the new hash works


def test_sign_out_needs_a_post_and_ends_the_session(client, world):
    login(client, world.chef_a)
    assert client.get("/abmelden").status_code == 405
    client.post("/abmelden")
    response = client.get("/therapeuten")
    assert response.status_code == 302 and "/anmelden" in response.headers["Location"]


def test_next_leads_back_to_a_page_of_the_portal(client, world):
    response = client.post("/anmelden?next=/praxisgruppe", data={
        "email": world.chef_a, "password": f.PASSWORD, "next": "/praxisgruppe"})
    assert response.headers["Location"] == "/praxisgruppe"


def test_next_pointing_elsewhere_is_ignored(client, world):
    for target in ("https://boese.example/", "//boese.example/x", "/\\boese.example", "javascript:alert(1)"):
        client.post("/abmelden")
        response = client.post("/anmelden", data={"email": world.chef_a, "password": f.PASSWORD, "next": target})
        assert response.headers["Location"] == "/therapeuten", target


def test_protected_page_sends_anonymous_visitors_to_sign_in_with_next(client, world):
    response = client.get("/praxisgruppe")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/anmelden?next=/praxisgruppe")


def test_htmx_request_of_an_expired_session_redirects_the_whole_page(client, world):
    response = client.get("/therapeuten", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/anmelden")


def test_failed_sign_ins_are_limited_per_client(client, world):
    # TestingConfig allows 5 failures per 15 minutes.
    for _ in range(5):
        assert client.post("/anmelden", data={"email": world.chef_a, "password": "falsch"}).status_code == 200
    blocked = client.post("/anmelden", data={"email": world.chef_a, "password": f.PASSWORD})
    assert blocked.status_code == 429
    assert "Zu viele Versuche" in blocked.get_data(as_text=True)
    assert int(blocked.headers["Retry-After"]) > 0
    other_client = client.application.test_client()
    other = other_client.post("/anmelden", data={"email": world.chef_a, "password": f.PASSWORD},
                              environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert other.status_code == 302


def test_successful_sign_ins_do_not_count_towards_the_limit(client, world):
    for _ in range(7):
        login(client, world.chef_a)
        assert client.get("/therapeuten").status_code == 200
        client.post("/abmelden")
        assert client.get("/therapeuten").status_code == 302
    refused = client.post("/anmelden", data={"email": world.chef_a, "password": "falsch"})
    assert refused.status_code == 200 and "E-Mail oder Passwort ist falsch." in refused.get_data(as_text=True)


def test_a_deactivated_user_loses_an_open_session(app, client, world):
    login(client, world.therapeut_a)
    assert client.get("/therapeuten").status_code == 200
    with app.app_context():
        db.session.scalar(select(User).where(User.email == world.therapeut_a)).active = False
        db.session.commit()
    assert client.get("/therapeuten").status_code == 302
