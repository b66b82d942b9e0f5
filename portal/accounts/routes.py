"""The person's own account: the blueprint, with its views in ``accounts/views/`` by concern."""

from .views import bp

__all__ = ["bp"]
