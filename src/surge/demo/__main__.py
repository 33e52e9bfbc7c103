"""``python -m surge.demo [--host H] [--port P]``: serve the demo shop (see surge.demo.app)."""

from surge.demo.app import main

main()
