"""Exceptions that the command line turns into one clear line and a non-zero exit."""


class InputError(ValueError):
    """Bad user input: the message is one line naming the parameter, its value and the allowed range."""


class SolverError(RuntimeError):
    """The numerical solution failed (singular system, no convergence); the message says where."""
