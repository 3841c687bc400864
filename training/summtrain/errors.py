"""Errors a user can cause: one line that names the problem and the fix, exit code 2."""


class UsageError(Exception):
    """Bad flags, data or paths. The message says what, where, and how to fix it."""

    exit_code = 2
