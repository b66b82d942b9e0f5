from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user

from ..extensions import db, htmx, limiter
from ..forms import ConfirmForm
from .forms import LanguageForm, LoginForm
from .models import Role, User
from .services import authenticate, safe_next_url

bp = Blueprint("auth", __name__)


def init_login_manager(login_manager) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Bitte melden Sie sich an.")
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_user(user_id: str):
        user = db.session.get(User, int(user_id))
        return user if user is not None and user.active else None

    @login_manager.unauthorized_handler
    def unauthorized():
        login_url = url_for("auth.login", next=request.full_path.rstrip("?"))
        if htmx:
            return "", 401, {"HX-Redirect": login_url}
        flash(login_manager.login_message, "info")
        return redirect(login_url)


def home_url_for(user) -> str:
    if user.role == Role.SUPPORT:
        return url_for("support.index")
    return url_for("therapists.index")


@bp.get("/")
@login_required
def home():
    return redirect(home_url_for(current_user))


@bp.route("/anmelden", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_FAILURE_LIMIT"],
    methods=["POST"],
    deduct_when=lambda response: response.status_code != 302,
)
def login():
    if current_user.is_authenticated:
        return redirect(home_url_for(current_user))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is not None:
            lang = session.get("lang")
            session.clear()
            if lang:
                session["lang"] = lang
            login_user(user)
            db.session.commit()
            return redirect(safe_next_url(form.next.data) or home_url_for(user))
        form.password.errors.append(_("E-Mail oder Passwort ist falsch."))
    return render_template("auth/login.html", form=form), 200


@bp.post("/abmelden")
def logout():
    form = ConfirmForm()
    if form.validate_on_submit():
        logout_user()
        session.clear()
        flash(_("Sie wurden abgemeldet."), "info")
    return redirect(url_for("auth.login"))


@bp.post("/sprache")
def set_language():
    form = LanguageForm()
    if form.validate_on_submit():
        session["lang"] = form.lang.data
    return redirect(safe_next_url(request.form.get("next")) or url_for("auth.home"))
