"""Check-in in the portal: the blueprint, with its views in ``checkin/views/`` by concern."""

from .views import bp

__all__ = ["bp"]
