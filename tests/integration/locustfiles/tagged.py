from locust import HttpUser, TaskSet, constant, tag, task


@tag("admin")
class Admin(TaskSet):
    @task
    def panel(self):
        self.client.get("/ok", name="admin")
        self.interrupt()


class Site(HttpUser):
    wait_time = constant(0.01)
    tasks = [Admin]

    @tag("read")
    @task
    def read(self):
        self.client.get("/ok", name="read")

    @tag("write", "slow")
    @task
    def write(self):
        self.client.post("/echo", data={"a": "1"}, name="write")

    @task
    def plain(self):
        self.client.get("/ok", name="plain")
