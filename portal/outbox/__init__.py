"""Mail the portal sends (access codes, invitations, password resets, notices): composing and
sending over SMTP (`smtp.py`), and one delivery life per mail row, driven by RQ jobs (`delivery.py`)."""
