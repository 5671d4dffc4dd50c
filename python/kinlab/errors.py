"""Exceptions of the kinlab reader.  Every message names the file (and line or
member where there is one) and what was expected."""


class KinlabError(Exception):
    """Base class of everything the reader raises about a run directory."""


class NotARunError(KinlabError):
    """The path is not a kinlab run directory (nor one holding variants)."""


class IncompleteRunError(KinlabError):
    """The run did not complete (its summary.json says so, or there is none
    yet); kinlab.load(..., allow_incomplete=True) reads what it wrote."""


class MalformedRunError(KinlabError, ValueError):
    """A run file whose content is not what kinlab writes."""
