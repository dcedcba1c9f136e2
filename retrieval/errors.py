"""Errors a user can cause or fix. Front ends print `str(error)` as one line
(or map it to an HTTP status) instead of a traceback."""

import math


class CitebotError(Exception):
    """Base class: the message is written for the user and says what to do."""


class InputError(CitebotError):
    """A question or document the bot cannot take (empty, too long, binary...)."""


class IndexNotFoundError(CitebotError):
    pass


class IndexCorruptError(CitebotError):
    pass


class ModelMismatchError(CitebotError):
    pass


class IndexLockedError(CitebotError):
    pass


class IndexUnavailableError(CitebotError):
    """The index database cannot be reached, refuses the login or fails
    mid-question; the stored index is untouched."""


class UnknownDocumentError(CitebotError):
    pass


class AnswerModelError(CitebotError):
    """The fitted answer model (decision and sentence choice) cannot be read."""


class DocumentTooLargeError(InputError):
    """A document that would take too long to index in one request."""


class IndexBusyError(CitebotError):
    """Another change of the index in this process did not finish within the
    wait allowed; `retry_after` is a fair guess, in seconds, of when to try again."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    @classmethod
    def after(cls, waited: float) -> "IndexBusyError":
        return cls(
            f"the index is busy with another change (waited {waited:g} s); try again in a moment",
            retry_after=max(1, math.ceil(waited)),
        )
