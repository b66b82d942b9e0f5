"""The audit record: every change writes its AuditEvent through services.record in the same
transaction (append-only). The Protokoll that shows it is portal/audit_log/."""
