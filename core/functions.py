"""Database functions the ORM lacks, written for both databases the project runs on."""

from django.db.models import Func, IntegerField


class JSONArrayLength(Func):
    """The number of elements of a JSON array column (0 for an empty array), counted by the
    database so the array itself is never sent to Python."""

    function = "json_array_length"  # SQLite
    output_field = IntegerField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, function="jsonb_array_length", **extra)
