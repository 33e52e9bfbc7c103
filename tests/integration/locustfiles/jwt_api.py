"""A JWT API flow: log in for a token, then call the API with it."""

from locust import FastHttpUser, constant, task


class ApiUser(FastHttpUser):
    wait_time = constant(0.005)

    def on_start(self):
        response = self.client.post("/api/token", json={"username": "bob", "password": "pw-bob"})
        response.raise_for_status()
        self.client.headers["Authorization"] = f"Bearer {response.json()['access']}"

    @task(2)
    def items(self):
        with self.rest("GET", "/api/items") as response:
            if not isinstance(response.js, list):
                response.failure("not a list")

    @task
    def create(self):
        with self.client.post("/api/items", json={"n": 1}, catch_response=True) as response:
            if response.status_code != 201 or response.json()["owner"] != "bob":
                response.failure(f"create failed: {response.status_code}")


class Intruder(FastHttpUser):
    weight = 0
    fixed_count = 1
    wait_time = constant(0.05)

    @task
    def sneak(self):
        self.client.get("/api/items", name="no token")
