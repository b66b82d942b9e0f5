"""The blueprint every terminal page registers on (endpoint names "terminal.…"), its CSP, and what
its views share: the paired terminal (``paired``) and the tablet a rate limit counts (``tablet``)."""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, g, jsonify, redirect, render_template, url_for

from .... import limits
from ....security import CSP
from .. import pairing

bp = Blueprint("terminal", __name__, url_prefix="/terminal")
TERMINAL_CSP = CSP.replace("script-src 'self'", "script-src 'self' 'wasm-unsafe-eval'")

tablet = limits.cookie_holder(pairing.COOKIE, "tablet")  # whom a rate limit counts: the paired tablet


def paired(view=None, *, json: bool = False, locked_too: bool = False):
    """The terminal of the cookie, as ``g.terminal``. Without one: the pairing page, or for the
    tablet's background calls (``json``) a JSON refusal it understands; a locked terminal is
    refused at once (as JSON it clears what it keeps). ``locked_too`` lets a locked terminal in;
    the view decides what it may still do."""
    if view is None:
        return lambda inner: paired(inner, json=json, locked_too=locked_too)

    @wraps(view)
    def wrapped(*args, **kwargs):
        terminal = pairing.current_terminal()
        if terminal is None:
            return (jsonify(error="unpaired"), 401) if json else redirect(url_for(".pair"))
        if terminal.locked and not locked_too:
            if json:
                return jsonify(error="locked"), 403
            return render_template("checkin/terminal/revoked.html", terminal=terminal), 403
        g.terminal = terminal
        return view(*args, **kwargs)

    return wrapped


@bp.after_request
def _allow_webassembly(response):
    """The terminal's pages run Argon2id as WebAssembly (offline identification): its CSP allows
    compiling WebAssembly, and nothing else beyond the portal's."""
    response.headers["Content-Security-Policy"] = TERMINAL_CSP
    return response
