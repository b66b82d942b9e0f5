"""The person's own account, one module per concern, all on one blueprint: joining by invitation,
"Passwort vergessen?", "Mein Konto" (name, password, signed-in sessions) and the second factor
(the gate, the authenticator app with its recovery codes, passkeys)."""

from . import authenticator, joining, my_account, passkeys, password_reset, second_factor
from .blueprint import bp

__all__ = ["authenticator", "bp", "joining", "my_account", "passkeys", "password_reset", "second_factor"]
