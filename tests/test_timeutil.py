"""Month and year arithmetic, once for the portal: month ends and leap years (2100 is none)."""

from datetime import date

import pytest

from portal.checkin.models import Prescription
from portal.timeutil import add_months, add_years, month_start


@pytest.mark.parametrize(("day", "months", "expected"), [
    (date(2024, 1, 31), 1, date(2024, 2, 29)),
    (date(2024, 3, 31), 1, date(2024, 4, 30)),
    (date(2024, 12, 15), 1, date(2025, 1, 15)),
    (date(2024, 3, 31), -1, date(2024, 2, 29)),
    (date(2024, 5, 31), 18, date(2025, 11, 30)),
])
def test_a_month_later_keeps_the_day_or_takes_the_months_last(day, months, expected):
    assert add_months(day, months) == expected


@pytest.mark.parametrize(("year", "last_of_february"), [(2000, 29), (2023, 28), (2024, 29), (2100, 28)])
def test_31_january_plus_a_month_is_the_last_of_february_in_every_century(year, last_of_february):
    assert add_months(date(year, 1, 31), 1) == date(year, 2, last_of_february)


@pytest.mark.parametrize(("day", "years", "expected"), [
    (date(2024, 2, 29), 1, date(2025, 2, 28)),
    (date(2024, 2, 29), 4, date(2028, 2, 29)),
    (date(2096, 2, 29), 4, date(2100, 2, 28)),
    (date(2100, 2, 28), 1, date(2101, 2, 28)),
])
def test_a_year_later_turns_29_february_into_28_february_where_it_is_missing(day, years, expected):
    assert add_years(day, years) == expected


def test_a_month_is_named_by_its_first_day():
    assert month_start(date(2100, 2, 28)) == date(2100, 2, 1)
    assert add_months(date(2025, 1, 1), -1) == date(2024, 12, 1)


@pytest.mark.parametrize(("first_session", "months", "expected"), [
    (date(2098, 8, 31), 18, date(2100, 2, 28)),  # 2100 is no leap year
    (date(2022, 8, 31), 18, date(2024, 2, 29)),
    (date(2024, 1, 31), 12, date(2025, 1, 31)),
])
def test_a_prescription_expires_at_its_months_end_in_every_century(first_session, months, expected):
    assert Prescription(first_session_on=first_session, valid_months=months).expires_on() == expected
