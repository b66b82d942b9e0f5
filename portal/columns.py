"""Column types shared by the models, and the one LIKE pattern for a literal substring."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class EnumText(TypeDecorator):
    """A string enum stored as plain text (VARCHAR), read back as the enum member."""

    impl = String
    cache_ok = True

    def __init__(self, enum_class: type[StrEnum], length: int = 20) -> None:
        super().__init__(length)
        self.enum_class = enum_class

    def process_bind_param(self, value, dialect):
        return None if value is None else self.enum_class(value).value

    def process_result_value(self, value, dialect):
        return None if value is None else self.enum_class(value)


LIKE_ESCAPE = "\\"


def contains(term: str) -> str:
    """A LIKE pattern (with ``escape=LIKE_ESCAPE``) matching ``term`` literally anywhere:
    ``max_muster`` finds only that, not ``maxXmuster``."""
    escaped = term.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", LIKE_ESCAPE + "%").replace("_", LIKE_ESCAPE + "_")
    return f"%{escaped}%"


class GroupOwned:
    """Mixin: the id and the practice group a tenant's row belongs to (deleted with the group),
    the table's first two columns."""

    id: Mapped[int] = mapped_column(primary_key=True, sort_order=-1)
    group_id: Mapped[int] = mapped_column(ForeignKey("practice_group.id", ondelete="CASCADE"), index=True,
                                          sort_order=-1)
