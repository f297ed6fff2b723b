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
