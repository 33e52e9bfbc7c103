"""Two HttpUser classes 3:1, catch_response failures, name=, the client API against /echo."""

import json

from locust import HttpUser, between, events, task

SEEN = {"requests": 0, "failed": 0}


@events.request.add_listener
def count(request_type, name, response_time, response_length, exception, **kwargs):
    SEEN["requests"] += 1
    if exception is not None:
        SEEN["failed"] += 1


@events.test_stop.add_listener
def report(environment, **kwargs):
    with open("events.json", "w") as out:
        json.dump(SEEN, out)


class Reader(HttpUser):
    weight = 3
    wait_time = between(0.001, 0.002)

    @task
    def read(self):
        self.client.get("/ok", name="read")


class Writer(HttpUser):
    weight = 1
    wait_time = between(0.001, 0.002)

    def on_start(self):
        self.client.headers["X-Api-Key"] = "k-1"

    @task
    def write(self):
        response = self.client.post(
            "/echo",
            json={"n": 1},
            params={"page": 2},
            headers={"X-Trace": "t"},
            name="write",
        )
        echo = response.json()
        assert response.status_code == 200 and response.ok
        assert echo["method"] == "POST" and echo["query"] == {"page": "2"}
        assert echo["headers"]["x-api-key"] == "k-1" and echo["headers"]["x-trace"] == "t"
        assert json.loads(echo["body"]) == {"n": 1}
        assert "application/json" in echo["headers"]["content-type"]
        with self.client.get("/status?code=200", name="judged", catch_response=True) as r:
            r.failure("wrong body")  # every one of these counts as a failure
