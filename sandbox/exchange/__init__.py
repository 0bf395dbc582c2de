"""Exchange Online admin API double: `POST /adminapi/beta/{tenantId}/InvokeCommand` (DKIM, SMTP AUTH, mailboxes)."""
