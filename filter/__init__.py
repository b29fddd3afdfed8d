"""filter: a trained promo and boilerplate span filter for Indonesian news text.

>>> from filter import Cleaner
>>> cleaner = Cleaner.load()
>>> result = cleaner.clean(text)
>>> result.cleaned, result.spans
"""
from filter.spans import CleanResult, Span

__all__ = ["Cleaner", "CleanResult", "Span"]
__version__ = "0.1.0"


def __getattr__(name: str):
    if name == "Cleaner":
        from filter.cleaner import Cleaner

        return Cleaner
    raise AttributeError(name)
