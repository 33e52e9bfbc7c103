"""surge.redaction: nothing secret in any output (design contract 5).

`Redactor` masks the secrets a run actually used (values and named headers/query parameters) and
scrubs a RunResult once, before the reports and the store read it, and every live message (it
learns the secrets scripted users set at run time, `learned`); `rules` recognise secrets by their
shape as a second line of defence. Reads metrics values only.
"""

from surge.redaction.learned import SecretBook
from surge.redaction.redactor import MIN_SECRET_CHARS, NO_REDACTION, Redactor
from surge.redaction.rules import (
    MASK,
    SECRET_HEADERS,
    SECRET_NAME,
    header_secrets,
    is_secret_name,
    redact_header,
    redact_text,
    redact_url,
)

__all__ = [
    "MASK",
    "MIN_SECRET_CHARS",
    "NO_REDACTION",
    "SECRET_HEADERS",
    "SECRET_NAME",
    "Redactor",
    "SecretBook",
    "header_secrets",
    "is_secret_name",
    "redact_header",
    "redact_text",
    "redact_url",
]
