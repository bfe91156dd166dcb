"""catdog-tui: run and watch DVC experiments from the terminal."""

# Read by the build (pyproject's dynamic version) and by `--version`; a literal, because
# importlib.metadata costs 25 ms at every start of the command.
__version__ = "0.1.0"
