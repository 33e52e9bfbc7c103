"""on_start/on_stop, StopUser, raise_for_status, cookies per user, redirects."""

from locust import HttpUser, constant, events, task
from locust.exception import StopUser

STOPS = []


@events.test_stop.add_listener
def write(environment, **kwargs):
    with open("stops.txt", "w") as out:
        out.write(str(len(STOPS)))


class Member(HttpUser):
    wait_time = constant(0.01)

    def on_start(self):
        self.client.get("/cookie/set")
        self.sid = self.client.cookies.get("sid")
        self.count = 0

    def on_stop(self):
        STOPS.append(self.sid)

    @task
    def visit(self):
        echo = self.client.get("/cookie/get").json()
        assert echo["cookie"] == f"sid={self.sid}"
        moved = self.client.get("/redirect?to=/ok", name="moved")
        assert moved.status_code == 200 and moved.text == "ok"
        broken = self.client.get("/status?code=500", name="broken")
        try:
            broken.raise_for_status()
        except Exception as exc:
            assert "500" in str(exc)
        else:
            raise AssertionError("raise_for_status did not raise")
        self.count += 1
        if self.count == 3:
            raise StopUser()
