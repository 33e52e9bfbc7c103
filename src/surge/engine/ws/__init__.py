"""WebSockets on picows: the timed opening, a scripted user's sockets, and the echo URL
workload. Loaded on first use (`self.ws`, a ws:// target)."""
