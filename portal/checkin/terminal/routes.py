"""The check-in terminal at the counter, paired by code or QR, no portal sign-in: the blueprint, with
its views in ``checkin/terminal/views/`` by concern."""

from .views import bp

__all__ = ["bp"]
