"""time.sleep and gevent.sleep inside tasks pause only their user; a plain User has no client."""

import time

import gevent
from locust import HttpUser, User, constant, task


class Sleeper(User):
    wait_time = constant(0)

    @task
    def nap(self):
        time.sleep(0.3)
        gevent.sleep(0.2)
        assert not hasattr(self, "client")


class Busy(HttpUser):
    wait_time = constant(0.005)

    @task
    def work(self):
        self.client.get("/ok", name="busy")
