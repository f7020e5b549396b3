"""Printing on whatever console the student has: a cp1252 one (Windows) cannot show ✔.

Python writes to a Windows console in UTF-8, but a redirected one (``nnlab grade >
out.txt``, an IDE's run window, a CI log) gets the locale's code page, often cp1252,
and ``errors="strict"``: one ✘, or a student's message in Greek, would end the grader
with UnicodeEncodeError. So the CLI makes its streams replace what they cannot encode
(:func:`tolerate_any_text`), and the symbols it prints itself fall back to ASCII
(:func:`symbol`).
"""

import codecs
import sys


def encodes(text, stream=None):
    """Whether ``stream`` (default: stdout) can write ``text`` as it is."""
    encoding = getattr(stream or sys.stdout, "encoding", None) or "utf-8"
    try:
        codecs.encode(text, encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def symbol(fancy, plain, stream=None):
    """``fancy`` ("✔") where ``stream`` can show it, else ``plain`` ("+")."""
    return fancy if encodes(fancy, stream) else plain


def tolerate_any_text(*streams):
    """Make each text stream replace (with ?) the characters its encoding lacks, rather
    than raise; UTF-8 streams encode everything and are left alone."""
    for stream in streams:
        if encodes("\u2714\u0394", stream):
            continue
        try:
            stream.reconfigure(errors="replace")
        except (AttributeError, ValueError):  # not a TextIOWrapper (a test's capture, a notebook)
            pass
