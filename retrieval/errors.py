"""Errors a user can cause or fix. Front ends print `str(error)` as one line
(or map it to an HTTP status) instead of a traceback."""


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


class UnknownDocumentError(CitebotError):
    pass


class AnswerModelError(CitebotError):
    """The fitted answer model (decision and sentence choice) cannot be read."""
