"""HTTP/2 on the `h2` sans-IO library over surge's own transport: connections, the pool of one
origin, and the URL workload. Loaded on first use (`--http2`, `User.http2`)."""
