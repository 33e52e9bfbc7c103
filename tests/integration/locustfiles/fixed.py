from locust import HttpUser, constant, events, task

USERS = {"Admin": 0, "Visitor": 0}


@events.test_stop.add_listener
def write(environment, **kwargs):
    with open("users.txt", "w") as out:
        out.write(f"{USERS['Admin']} {USERS['Visitor']}")


class Admin(HttpUser):
    fixed_count = 1
    wait_time = constant(0.05)

    def on_start(self):
        USERS["Admin"] += 1

    @task
    def admin(self):
        self.client.get("/ok", name="admin")


class Visitor(HttpUser):
    wait_time = constant(0.05)

    def on_start(self):
        USERS["Visitor"] += 1

    @task
    def visit(self):
        self.client.get("/ok", name="visit")
