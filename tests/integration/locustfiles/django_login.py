"""A CSRF-form login flow against a Django site, as a Locust user would write it."""

import re

from locust import HttpUser, between, task


class Member(HttpUser):
    wait_time = between(0.005, 0.01)

    def on_start(self):
        page = self.client.get("/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        response = self.client.post(
            "/login/",
            data={"username": "ann", "password": "pw-ann", "csrfmiddlewaretoken": token},
            name="login",
        )
        assert response.url.endswith("/account/"), response.url
        assert "Hello ann" in response.text

    @task(3)
    def account(self):
        with self.client.get("/account/", catch_response=True) as response:
            if "Hello ann" not in response.text:
                response.failure("not logged in")

    @task
    def order(self):
        self.client.post(
            "/account/orders/",
            json={"item": 7},
            headers={"X-CSRFToken": self.client.cookies["csrftoken"]},
            name="order",
        )
