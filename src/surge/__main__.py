"""`python -m surge` is the `surge` command."""

from surge.cli.main import main

main()
