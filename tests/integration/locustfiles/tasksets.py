"""TaskSet, SequentialTaskSet, nested sets and interrupt(): the order of requests, one user."""

from locust import HttpUser, SequentialTaskSet, TaskSet, constant, events, task

ORDER = []


@events.request.add_listener
def remember(name, **kwargs):
    ORDER.append(name)


@events.test_stop.add_listener
def write(environment, **kwargs):
    with open("order.txt", "w") as out:
        out.write("\n".join(ORDER))


class Checkout(SequentialTaskSet):
    @task
    def cart(self):
        self.client.get("/ok", name="cart")

    @task
    def pay(self):
        self.client.get("/ok", name="pay")

    @task
    def done(self):
        self.client.get("/ok", name="done")
        self.interrupt()


class Browse(TaskSet):
    tasks = {Checkout: 1}

    def on_start(self):
        self.client.get("/ok", name="browse-start")


class Shopper(HttpUser):
    wait_time = constant(0)
    tasks = [Browse]
