"""`python -m pipeline` is the `isms-review` command."""

from .launch import run

run()
