"""The one error hierarchy: str(exc) is the message a user reads; `details` holds the technical rest."""
from __future__ import annotations


class ExplorerError(Exception):
    """Base of every error we raise on purpose; the message is written for the user."""

    def __init__(self, message: str, *, details: str = "", fix: str = ""):
        super().__init__(message)
        self.message = message
        self.details = details
        self.fix = fix

    def __str__(self) -> str:
        return self.message

    def __reduce__(self):
        # Errors cross from the engine process to the window pickled; subclasses take other constructor arguments,
        # so rebuild from the attributes rather than from `args`.
        return _rebuild, (type(self), self.message, self.__dict__)


def _rebuild(cls, message: str, state: dict) -> "ExplorerError":
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


class ModelReadError(ExplorerError):
    """A path could not be read as a SavedModel (or TF Serving base path)."""

    def __init__(self, path, message: str, **kw):
        super().__init__(message, **kw)
        self.path = str(path)


class InputProblem(ExplorerError):
    """A user's input cannot become the tensor the signature asks for."""

    def __init__(self, key: str | None, message: str, **kw):
        super().__init__(message, **kw)
        self.key = key


class RunError(ExplorerError):
    """TensorFlow failed to load or run a model; the message explains, `details` keeps TF's text."""

    def __init__(self, message: str, *, key: str | None = None, input_can_fix: bool = True, **kw):
        super().__init__(message, **kw)
        self.key = key
        # False when `key` only says where the model broke, not what to change (an export that bakes in a batch
        # size): the window then says it above the form, not on the input's row.
        self.input_can_fix = input_can_fix


class EngineCrashed(RunError):
    """TensorFlow's engine process died (a crash, an abort or a kill) while it loaded or ran a model."""


class RunStopped(RunError):
    """A load, run or check was stopped by the user (the engine was stopped with it)."""


class ServingError(ExplorerError):
    """A TF Serving endpoint refused or failed a request."""

    def __init__(self, message: str, *, url: str = "", status: int | None = None, **kw):
        super().__init__(message, **kw)
        self.url = url
        self.status = status


class SessionFileError(ExplorerError):
    """A saved workspace file could not be read or written."""


class UnsafeModelError(ExplorerError):
    """A model holds ops that would touch the machine (files, Python) and the user has not agreed to run it."""

    def __init__(self, report):
        ops = sorted({f.op for f in report.high})
        message = (f"Not loaded: {report.path} has ops that would act on this machine when run or loaded: "
                   f"{report.summary()}.")
        super().__init__(message, fix="`signature-explorer scan` says what each op does. If you trust who made the "
                                      "model: pass --allow-unsafe-ops (command line), or agree when the app asks.")
        self.report = report
        self.ops = ops
