"""A base for the plain record classes on the listing path (a row, a revision's values).

What `@dataclass` would give them (field-wise equality, a readable repr), without importing
`dataclasses`: with the `inspect` module it pulls in, that import costs about 7 ms of a new
`catdog-tui ls` process, and each decorated class 0.5 to 1 ms more (`python -X importtime`
and timings in fresh processes on the development machine; a cached `ls` of 500 experiments
takes about 60 ms in all). A subclass assigns its fields in its `__init__`, in order; they are
its `vars()`.

For the same reason the modules a cached `ls` imports do not import `typing` (about 3 ms):
they declare `TYPE_CHECKING = False` themselves, which mypy reads as typing's.
"""

from __future__ import annotations


class Record:
    """Equal to another record of the same class with equal fields; unhashable, as a
    dataclass with `eq=True` (a subclass with fixed fields may define `__hash__`)."""

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return vars(self) == vars(other)

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={value!r}" for name, value in vars(self).items())
        return f"{self.__class__.__qualname__}({fields})"

    def as_dict(self) -> dict[str, object]:
        """The fields, by name (shallow: values are not copied)."""
        return dict(vars(self))
