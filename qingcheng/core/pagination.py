"""Page-number pagination for the JSON API: `?page=1&page_size=50`, at most 500 a page."""

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from ninja import Field, Schema
from ninja.pagination import PaginationBase

MAX_PAGE_SIZE = 500
# Beyond this the offset no longer fits a database integer (a 500 on SQLite); no list is that long.
MAX_PAGE = 1_000_000


class PageNumberPagination(PaginationBase):
    class Input(Schema):
        page: int = Field(1, ge=1, le=MAX_PAGE)
        page_size: int = Field(50, ge=1, le=MAX_PAGE_SIZE)

    class Output(Schema):
        items: list[Any]
        count: int
        page: int
        page_size: int

    items_attribute = "items"

    def paginate_queryset(self, queryset: QuerySet, pagination: Input, **params: Any) -> dict[str, Any]:
        offset = (pagination.page - 1) * pagination.page_size
        return {
            "items": list(queryset[offset : offset + pagination.page_size]),
            "count": queryset.count() if isinstance(queryset, QuerySet | MappedRows) else len(queryset),
            "page": pagination.page,
            "page_size": pagination.page_size,
        }


class MappedRows:
    """A queryset whose rows are turned into API dicts by `to_row` only for the page being served, so a
    list endpoint that masks or reshapes rows still pages in the database."""

    def __init__(self, queryset: QuerySet, to_row: Callable[[Any], Any]) -> None:
        self.queryset = queryset
        self.to_row = to_row

    def count(self) -> int:
        return self.queryset.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, item: slice) -> list[Any]:
        return [self.to_row(row) for row in self.queryset[item]]
