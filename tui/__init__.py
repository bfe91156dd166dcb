"""catdog-tui: run and watch DVC experiments from the terminal."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("catdog-tui")
except PackageNotFoundError:  # a source checkout that was never installed
    __version__ = "0.0.0"
