"""Errors the store raises, worded for the person who will read them."""


class StoreError(Exception):
    """Base class: anything the store refuses to do."""


class NotFoundError(StoreError):
    def __init__(self, what: str, key: object) -> None:
        super().__init__(f"no {what} {key!r}")
        self.what = what
        self.key = key


class DuplicateNameError(StoreError):
    def __init__(self, what: str, name: str) -> None:
        super().__init__(f"an {what} named {name!r} already exists" if what[0] in "aeiou"
                         else f"a {what} named {name!r} already exists")
        self.what = what
        self.name = name


class DamagedValueError(StoreError):
    """A stored value cannot be read (a time that is no time, JSON that does not
    parse). Repositories mark such rows damaged rather than fail a whole list."""

    def __init__(self, what: str, value: object) -> None:
        shown = repr(value)
        if len(shown) > 60:
            shown = shown[:57] + "…"
        super().__init__(f"damaged {what} in the database: {shown}")
        self.what = what
        self.value = value
