"""`surge_load` against pytest-django's `live_server`: a real Django project, served by Django's
own threaded server for the test, load-tested through surge's runner, p95 and the error rate
asserted. The session runs in a subprocess (Django's settings are process-wide)."""

from __future__ import annotations

import pytest

pytest.importorskip("pytest_django")

SETTINGS = """
SECRET_KEY = "surge-test-only"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
INSTALLED_APPS = []
ROOT_URLCONF = "shop_urls"
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
USE_TZ = True
STATIC_URL = "/static/"  # live_server serves static files too
"""

URLS = """
from django.http import JsonResponse
from django.urls import path


def health(request):
    return JsonResponse({"status": "ok"})


def broken(request):
    return JsonResponse({"status": "down"}, status=503)


urlpatterns = [path("api/health/", health), path("api/broken/", broken)]
"""

TESTS = """
def test_health_holds_under_load(live_server, surge_load):
    result = surge_load(live_server.url + "/api/health/", users=4, requests_per_user=25,
                        thresholds=["p95<2s", "error_rate<1%"], allow_saturated=True)
    result.assert_ok()
    assert result.requests == 100 and result.error_rate == 0
    assert 0 < result.p95_ms < 2000


def test_a_failing_endpoint_fails_its_sla(live_server, surge_load):
    result = surge_load(live_server.url + "/api/broken/", users=2, requests_per_user=10,
                        thresholds=["error_rate<1%"], allow_saturated=True)
    assert result.error_rate == 1.0
    result.assert_ok()
"""


@pytest.mark.timeout(300)
def test_surge_load_against_django_live_server(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(shop_settings=SETTINGS, shop_urls=URLS, test_shop=TESTS)
    pytester.makeini(
        "[pytest]\nDJANGO_SETTINGS_MODULE = shop_settings\npythonpath = .\nfilterwarnings = error\n"
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=240)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*FAILED (exit 3: no request succeeded)*",
            "*error_rate<1%*all requests*100.00%*FAIL*",
            "*status codes: 503 x20*",
            "*surge load tests*",
            "*test_health_holds_under_load*100*0 (0.00%)*passed*",
        ]
    )
