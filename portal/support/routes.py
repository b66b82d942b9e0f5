from flask import Blueprint, render_template
from sqlalchemy import func, select

from ..auth.permissions import Permission, requires
from ..extensions import db
from ..groups.models import PracticeGroup
from ..groups.routes import LICENCE_LABELS
from ..therapists.models import Therapist

bp = Blueprint("support", __name__, url_prefix="/support")


@bp.get("")
@requires(Permission.SUPPORT_CONSOLE)
def index():
    """Vendor support's start page: every practice group with its licences and size."""
    counts = dict(
        db.session.execute(select(Therapist.group_id, func.count(Therapist.id)).group_by(Therapist.group_id)).all()
    )
    groups = db.session.scalars(select(PracticeGroup).order_by(PracticeGroup.name)).all()
    return render_template("support/index.html", groups=groups, counts=counts, licence_labels=LICENCE_LABELS)
