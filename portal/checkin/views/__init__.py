"""Check-in in the portal, one module per concern, all on one blueprint: today's courses and the
manual check-in, corrections, participants and prescriptions, terminals, monthly lists and PDFs,
data protection, and the import."""

from . import corrections, data_protection, importing, monthly, participants, terminals, today
from .blueprint import bp

__all__ = ["bp", "corrections", "data_protection", "importing", "monthly", "participants", "terminals", "today"]
