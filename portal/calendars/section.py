"""What the Termine tab's calendar section shows: the therapist's calendars and the two forms.
The tab's page and this feature's own views both render it from here."""

from __future__ import annotations

from ..forms import ConfirmForm
from ..tenancy import Therapist
from .forms import SubscribeForm, UploadForm
from .queries import calendars_of


def section_context(therapist: Therapist, subscribe_form: SubscribeForm | None = None,
                    upload_form: UploadForm | None = None) -> dict:
    practices = therapist.group.practices
    if subscribe_form is None:
        subscribe_form = _for_their_practice(SubscribeForm(formdata=None, practices=practices), therapist)
    if upload_form is None:
        upload_form = _for_their_practice(UploadForm(formdata=None, practices=practices), therapist)
    return {
        "therapist": therapist,
        "calendars": calendars_of(therapist.id),
        "subscribe_form": subscribe_form,
        "upload_form": upload_form,
        "confirm_form": ConfirmForm(),
    }


def _for_their_practice(form, therapist: Therapist):
    """A therapist who works in one practice: their calendar is that practice's, preselected."""
    if form.practice_id.data is None and len(therapist.practices) == 1:
        form.practice_id.data = therapist.practices[0].id
    return form
