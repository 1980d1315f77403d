# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""XML hardening shared by the CAMT and OFX 2.x parsers.

``defusedxml`` is not a dependency, so entity expansion attacks ("billion
laughs") and external entities (XXE) are stopped the blunt way: a bank
statement never needs a document type declaration, so any ``<!DOCTYPE`` or
``<!ENTITY`` in the bytes is refused before the XML parser sees them. The
check also runs on a UTF-16 decoding, because expat reads UTF-16 natively and
the ASCII byte pattern would not be found there.
"""

from __future__ import annotations

import codecs
import logging
import re
import xml.etree.ElementTree as ET

from .statement import ParseError

_logger = logging.getLogger(__name__)

_FORBIDDEN = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_FORBIDDEN_TEXT = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def _utf16_text(data: bytes) -> str | None:
    """Decode ``data`` as UTF-16 when it looks like UTF-16, else ``None``."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    head = data[:4]
    if len(head) >= 2 and head[0] == 0 and head[1] != 0:
        return data.decode("utf-16-be", errors="replace")
    if len(head) >= 2 and head[0] != 0 and head[1] == 0:
        return data.decode("utf-16-le", errors="replace")
    return None


def refuse_dtd(data: bytes, fmt: str) -> None:
    """Raise :class:`ParseError` when ``data`` carries a DTD or an entity."""
    text = _utf16_text(data)
    if _FORBIDDEN.search(data) or (text is not None and _FORBIDDEN_TEXT.search(text)):
        raise ParseError(
            "document type declarations and entities are refused (XXE protection)",
            fmt=fmt,
            location="prolog",
        )


#: Bytes fed to expat at a time (what ``iterparse`` uses): elements parsed
#: ahead of the events being handled stay few.
_CHUNK = 16 * 1024


def iterparse(data: bytes, fmt: str, events: tuple[str, ...]):
    """Batches of ``(event, element)``, like ``ElementTree.iterparse``.

    The errors expat raises while it is fed become :class:`ParseError`, and
    only those: the code consuming the events runs outside that ``try`` (a
    bug there must stay a bug, not become "malformed XML"):

    * a declared encoding Python does not know (``LookupError``);
    * a declared multi-byte encoding other than UTF-8/16 (UTF-7, UTF-32,
      Shift_JIS, EUC-JP, GB2312, Big5...): expat refuses it with a plain
      ``ValueError("multi-byte encodings are not supported")``;
    * malformed XML found when the input ends.

    Malformed XML found earlier is queued by ``XMLPullParser`` and raised
    as ``ET.ParseError`` while a batch is iterated: the caller converts it
    with :func:`xml_error` (nothing else raises that type).

    Batches rather than single events: a generator step per element would
    add a sixth to the whole CAMT parse.

    Example::

        try:
            for batch in iterparse(data, "camt", ("start",)):
                for event, elem in batch:
                    ...
        except ET.ParseError as exc:
            raise xml_error(exc, "camt") from exc
    """
    parser = ET.XMLPullParser(events)
    for offset in range(0, len(data), _CHUNK):
        _step(parser.feed, data[offset : offset + _CHUNK], fmt)
        yield parser.read_events()
    _step(parser.close, None, fmt)  # "no element found", unclosed tags
    yield parser.read_events()


def _step(method, arg, fmt: str) -> None:
    """``parser.feed(arg)`` / ``parser.close()`` with its errors converted."""
    try:
        method() if arg is None else method(arg)
    except ET.ParseError as exc:
        raise xml_error(exc, fmt) from exc
    except (LookupError, ValueError) as exc:
        raise ParseError(
            f"unsupported character encoding ({exc}); bank statements in XML "
            "are UTF-8 (or UTF-16, ISO-8859-x)",
            fmt=fmt,
            location="line 1",
        ) from exc


def xml_error(exc: ET.ParseError, fmt: str) -> ParseError:
    """Convert an expat error into a located :class:`ParseError`."""
    line, column = getattr(exc, "position", (0, 0))
    message = str(exc).split(": line ", 1)[0]
    return ParseError(
        f"malformed XML ({message})", fmt=fmt, location=f"line {line}, column {column}"
    )


def local(tag: str) -> str:
    """Tag name without its ``{namespace}``."""
    if tag[:1] == "{":
        return tag.rpartition("}")[2]
    return tag


def namespace(tag: str) -> str:
    """The ``{namespace}`` URI of ``tag`` ("" when none)."""
    if tag[:1] == "{":
        return tag[1:].partition("}")[0]
    return ""
