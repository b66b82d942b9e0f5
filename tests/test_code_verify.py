"""Checking a typed code: single use, expiry, the lock after five wrong attempts, the same answer
for everything wrong, and two racing sign-ins."""

import threading
from datetime import timedelta

import pytest

from portal.codes.status import StatusKey
from portal.codes.verify import consume, match_code
from portal.extensions import db
from portal.models import CodeRequest, Therapist
from portal.timeutil import clock, utcnow

from . import factories as f
from .helpers import EMAIL, status_key

CODE = "042917"


def redeem(app, email, code, used_by="iPhone von Anna"):
    """Match and consume a code as a sign-in does; the therapist's id, or None."""
    with app.app_context():
        now = utcnow()
        match = match_code(email, code, now)
        if match is None or not consume(match, now, used_by):
            db.session.rollback()
            return None
        db.session.commit()
        return match.therapist_id


@pytest.fixture
def sent(app, world):
    """Anna's code CODE, accepted by the mail server a moment ago; returns the request id."""
    with app.app_context():
        therapist = db.session.get(Therapist, world.therapist_a)
        therapist.app_enabled = True
        request = f.code_request(therapist, code=CODE)
        db.session.commit()
        return request.id


def test_a_code_signs_in_once(app, world, sent):
    assert redeem(app, EMAIL.upper(), CODE) == world.therapist_a
    assert redeem(app, EMAIL, CODE) is None
    assert status_key(app, world.therapist_a) == StatusKey.USED


def test_the_code_expires_after_15_minutes(app, world, sent):
    clock.set(utcnow() + timedelta(minutes=15))
    assert redeem(app, EMAIL, CODE) is None
    assert status_key(app, world.therapist_a) == StatusKey.EXPIRED
    clock.set(utcnow() - timedelta(seconds=1))
    assert status_key(app, world.therapist_a) == StatusKey.VALID
    assert redeem(app, EMAIL, CODE) == world.therapist_a


def test_five_wrong_attempts_lock_the_code(app, world, sent):
    for _ in range(5):
        assert redeem(app, EMAIL, "999999") is None
    assert status_key(app, world.therapist_a) == StatusKey.LOCKED
    assert redeem(app, EMAIL, CODE) is None


def test_the_portal_says_why_a_code_is_locked_and_the_way_out(app, as_user, world, sent):
    """Anyone who knows the address can lock the open code (the cap per code stays): the status
    says what happened, that a new code is the way out, and that the therapist can ask for one."""
    for _ in range(5):
        assert redeem(app, EMAIL, "999999") is None
    chef = as_user(world.chef_a)
    cell = chef.get(f"/therapeuten/{world.therapist_a}/zugangscode").get_data(as_text=True)
    assert ("gesperrt nach 5 falschen Eingaben – neuen Code senden; der Therapeut kann in der App auch selbst "
            "einen neuen Code anfordern") in cell
    help_page = chef.get("/hilfe/code-kommt-nicht-an").get_data(as_text=True)
    assert "unter „Code anfordern“ selbst einen neuen Code an" in " ".join(help_page.split())


def test_a_wrong_attempt_counts_even_when_the_caller_rolls_back(app, world, sent):
    with app.app_context():
        assert match_code(EMAIL, "999999", utcnow()) is None
        db.session.rollback()
        assert db.session.get(CodeRequest, sent).failed_attempts == 1


@pytest.mark.parametrize("email,code", [("niemand@praxis.example", "123456"), ("", ""), (EMAIL, "abc")])
def test_unknown_address_or_garbage_gets_the_same_answer(app, world, sent, email, code):
    assert redeem(app, email, code) is None


def test_another_groups_address_does_not_match(app, world, sent):
    assert redeem(app, "bernd@sued.example", CODE) is None


def test_ten_threads_racing_for_one_code_exactly_one_wins(app, world, sent):
    results, errors = [], []
    barrier = threading.Barrier(10)

    def sign_in(n):
        try:
            barrier.wait()
            results.append(redeem(app, EMAIL, CODE, used_by=f"Gerät {n}") is not None)
        except Exception as exc:  # noqa: BLE001 - any error is a failure of the test
            errors.append(exc)

    threads = [threading.Thread(target=sign_in, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == [] and sorted(results) == [False] * 9 + [True]
