"""The check-in terminal, one module per concern, all on one blueprint: pairing the tablet, the touch
screens (identify, sign, result), the installable offline app, and the day's data handed to the tablet
with the check-ins it hands back."""

from . import handover, installable, pair, screens
from .blueprint import bp

__all__ = ["bp", "handover", "installable", "pair", "screens"]
