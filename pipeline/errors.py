"""Errors whose message is meant for the user, turned into one line by the CLI."""

from __future__ import annotations


class UserError(Exception):
    """A problem the user can fix; ``str(exc)`` names the file and says what to do."""

    exit_code = 1
