from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField


class GroupSecurityForm(FlaskForm):
    require_second_factor = BooleanField(_l("Zweiten Faktor für alle Benutzer der Praxisgruppe verlangen"))
