"""The `isms-review` command's entry point: Ctrl-C at any moment — even while the program is
still loading its libraries, before any command runs — ends with one line and exit 130, never
a traceback."""

from __future__ import annotations

import os
import sys

INTERRUPTED = "interrupted; nothing was written."


def run() -> None:
    try:
        from .cli import main  # loading pandas, matplotlib and pikepdf takes a second or two
        main()
    except KeyboardInterrupt:
        sys.stderr.write(f"{INTERRUPTED}\n")
        sys.stderr.flush()
        # at once: an interpreter interrupted while importing may otherwise end by SIGINT
        # instead of this exit code (nothing is open yet that needs closing)
        os._exit(130)
