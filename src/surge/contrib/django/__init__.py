"""surge.contrib.django: `python manage.py surge …` in a Django project.

Add `"surge.contrib.django"` to `INSTALLED_APPS`; every surge command is then
`python manage.py surge COMMAND …` with the same flags, output and exit codes as `surge COMMAND …`.
A target that is a path (`/api/health/`) is joined to the base URL from `--host` or from the
settings (`SURGE = {"host": "http://127.0.0.1:8000"}`), which is also the `--host` of scenario
files. See docs/django.md.

Importing this package imports nothing from Django; `apps.py` and the management command do.
"""
