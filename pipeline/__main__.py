"""`python -m pipeline` is the `isms-review` command."""

from .cli import main

main()
