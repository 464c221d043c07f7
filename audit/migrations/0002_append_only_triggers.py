"""PostgreSQL refuses UPDATE, DELETE and TRUNCATE on audit entries; the chain head stays writable.

Other databases migrate without it. TRUNCATE of an empty table is let through, so `flush` (and
the test runner's flush between transactional tests) works on a database holding no entries;
it removes nothing. A superuser or the table's owner can still switch the triggers off
(ALTER TABLE ... DISABLE TRIGGER): run the web app as a role that is neither (README, "Audit
trail"), and verify_audit_chain finds what was changed anyway.
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION audit_entry_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        PERFORM 1 FROM audit_auditentry LIMIT 1;
        IF NOT FOUND THEN
            RETURN NULL;
        END IF;
    END IF;
    RAISE EXCEPTION 'audit entries are append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING HINT = 'Record a new entry instead of changing or removing one.';
END;
$$
"""
CREATE = [
    FUNCTION,
    """
    CREATE TRIGGER audit_entry_append_only
    BEFORE UPDATE OR DELETE ON audit_auditentry
    FOR EACH ROW EXECUTE FUNCTION audit_entry_refuse_change()
    """,
    """
    CREATE TRIGGER audit_entry_no_truncate
    BEFORE TRUNCATE ON audit_auditentry
    FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_refuse_change()
    """,
]
DROP = [
    "DROP TRIGGER IF EXISTS audit_entry_no_truncate ON audit_auditentry",
    "DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_auditentry",
    "DROP FUNCTION IF EXISTS audit_entry_refuse_change()",
]


def run_on_postgresql(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [
        migrations.RunPython(run_on_postgresql(CREATE), run_on_postgresql(DROP), elidable=False)
    ]
