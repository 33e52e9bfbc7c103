from locust import FastHttpUser, task


class One(FastHttpUser):
    @task
    def get(self):
        self.client.get("/ok")
