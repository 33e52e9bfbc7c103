from locust import HttpUser, LoadTestShape, constant, task


class Steps(LoadTestShape):
    def tick(self):
        run_time = self.get_run_time()
        if run_time < 2:
            return (2, 10)
        if run_time < 4:
            return (4, 10)
        return None


class Web(HttpUser):
    wait_time = constant(0.05)

    @task
    def page(self):
        self.client.get("/ok")
