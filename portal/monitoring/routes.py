from flask import Blueprint, Response

from . import metrics

bp = Blueprint("monitoring", __name__)


@bp.get("/metrics")
def scrape():
    """Prometheus' scrape; 404 while METRICS_TOKEN is unset, 401 without it."""
    if not metrics.authorised():
        return Response("Bearer-Token fehlt oder ist falsch.\n", 401, {"WWW-Authenticate": 'Bearer realm="metrics"'},
                        mimetype="text/plain")
    return Response(metrics.exposition(), mimetype=metrics.CONTENT_TYPE_LATEST)
