"""Half the tasks raise: script errors under Class.task, failed iterations in the open model."""

from locust import HttpUser, task


class U(HttpUser):
    @task(1)
    def ok(self):
        self.client.get("/ok")

    @task(1)
    def bad(self):
        raise ValueError("boom")
