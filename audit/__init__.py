"""The append-only, hash-chained audit trail (DESIGN.md, "Architecture": the bottom layer).

It imports nothing from the other project apps; they call audit.services.audit_record.
"""
