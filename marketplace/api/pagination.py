from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from ..domain.keyset import CursorError
from ..pagination import keyset_page, lot_count, lot_sort


class LotKeysetPagination(BasePagination):
    """`GET /api/lots/` pages by cursor: follow `next` and `previous`. `count` is exact up to
    a threshold and the planner's estimate past it (`count_exact` says which)."""

    cursor_query_param = "cursor"
    page_size_query_param = "page_size"
    page_size = 50
    max_page_size = 200

    def _page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            raise ValidationError(
                {"page_size": [f"A whole number from 1 to {self.max_page_size}."]}
            )
        return int(raw)

    def paginate_queryset(self, queryset, request, view=None):
        if "page" in request.query_params:
            raise ValidationError(
                {"page": ["This list pages by cursor: follow the next and previous links."]}
            )
        self.request = request
        try:
            sort = lot_sort(request.query_params.get("ordering"))
            self.page = keyset_page(
                queryset,
                sort=sort,
                cursor_text=request.query_params.get(self.cursor_query_param),
                size=self._page_size(request),
            )
        except CursorError as error:
            raise ValidationError({self.cursor_query_param: [str(error)]}) from error
        self.count = lot_count(queryset)
        return self.page.rows

    def _link(self, cursor: str | None) -> str | None:
        if cursor is None:
            return None
        url = self.request.build_absolute_uri()
        return replace_query_param(url, self.cursor_query_param, cursor)

    def get_paginated_response(self, data):
        return Response(
            {
                "count": self.count.value,
                "count_exact": self.count.exact,
                "next": self._link(self.page.next_cursor),
                "previous": self._link(self.page.previous_cursor),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["count", "count_exact", "results"],
            "properties": {
                "count": {"type": "integer", "example": 123},
                "count_exact": {
                    "type": "boolean",
                    "description": "False: count is the database's estimate (past 1,000 lots)",
                },
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "The page after (or before) the one a next/previous link ended",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Lots per page, 1 to {self.max_page_size} (50 by default)",
                "schema": {"type": "integer"},
            },
        ]
