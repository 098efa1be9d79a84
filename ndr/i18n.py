"""The language ndr speaks to people: which one, its messages and its dates.

Labels of the text output, ``ndr explain``, the HTML report and generated reports are English
message ids translated through gettext (``ndr/locale/<ll_CC>/LC_MESSAGES/ndr.mo``, compiled
from the ``.po`` beside it); dates are formatted by Babel in the language's own way. The catalog's
causes and fixes carry their languages themselves (``catalog.yaml``). JSON output keeps ids
(``reason``, ``action``, ``who``) and never goes through here.

Babel is imported only when a date is formatted for a person, never on ``ndr parse``'s JSON
path.
"""
from __future__ import annotations

import functools
import os
from datetime import date, datetime
from typing import TYPE_CHECKING, Callable, Mapping

if TYPE_CHECKING:
    import gettext as _gettext

    from babel import Locale

LANGS = ("en", "pt-BR")
"""Languages ndr speaks (BCP 47 tags, as ``--lang`` takes them)."""
DEFAULT = "en"
DOMAIN = "ndr"
LOCALE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "locale")
LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")
"""POSIX order: the first one set (and not empty) decides the language of messages."""


def language_tag(value: str | None) -> str | None:
    """The ndr language for a tag or POSIX locale name (``pt_BR.UTF-8`` → ``pt-BR``,
    ``pt`` → ``pt-BR``, ``en_GB`` → ``en``); None when ndr does not speak it (``C``, ``de_DE``)."""
    if not value:
        return None
    base = value.split(".")[0].split("@")[0].replace("_", "-").strip()
    lowered = base.lower()
    for lang in LANGS:
        if lowered == lang.lower():
            return lang
    primary = lowered.split("-")[0]
    matches = [lang for lang in LANGS if lang.lower().split("-")[0] == primary]
    return matches[0] if matches else None


def resolve_language(given: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """``--lang`` when given, else the user's locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG``),
    else English."""
    if given:
        return language_tag(given) or DEFAULT
    env = os.environ if environ is None else environ
    for name in LOCALE_VARIABLES:
        value = env.get(name)
        if value:
            return language_tag(value) or DEFAULT
    return DEFAULT


def _posix(lang: str) -> str:
    return lang.replace("-", "_")


@functools.lru_cache(maxsize=16)
def translations(lang: str) -> _gettext.NullTranslations:
    """The gettext messages of ``lang`` (English, the message ids themselves, when none)."""
    import gettext  # here, not at import: choosing the language (every command) needs no catalog

    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[_posix(lang)], fallback=True)


def gettext_for(lang: str) -> Callable[[str], str]:
    """``_`` for one language: English message id → translated text."""
    return translations(lang).gettext


def ngettext_for(lang: str) -> Callable[[str, str, int], str]:
    """``ngettext`` for one language: singular id, plural id, count → translated text."""
    return translations(lang).ngettext


@functools.lru_cache(maxsize=16)
def _locale(lang: str) -> Locale:
    from babel import Locale  # only here: dates for people are the only users of Babel

    return Locale.parse(_posix(lang))


@functools.lru_cache(maxsize=4096)
def format_datetime(moment: datetime, lang: str) -> str:
    """A date and time for people, in ``lang``'s own format, keeping the moment's offset
    (``May 1, 2024, 12:00:00 PM +0000``, ``1 de maio de 2024 12:00:00 -0300``). Cached: a run of
    reports repeats its report time and retry limit."""
    from babel.dates import format_datetime as babel_format

    return babel_format(moment, "long", tzinfo=moment.tzinfo, locale=_locale(lang))


def format_date(day: date, lang: str) -> str:
    """A calendar day for people (``May 1, 2024``, ``1 de maio de 2024``)."""
    from babel.dates import format_date as babel_format

    return babel_format(day, "long", locale=_locale(lang))


def format_iso(text: str | None, lang: str) -> str:
    """An ISO 8601 date or date-time (as in records) for people; other text unchanged."""
    if not text:
        return ""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    if len(text) <= 10:  # a day without a time
        return format_date(moment.date(), lang)
    return format_datetime(moment, lang)


def N_(message: str) -> str:
    """Marks a message id for extraction where it is translated later, by value."""
    return message


SHOWN_IDS = (
    # who should act (text output, explain, the HTML report)
    N_("sender"), N_("sender-admin"), N_("recipient"), N_("recipient-admin"),
    # actions and kinds of records (text output)
    N_("failed"), N_("delayed"), N_("delivered"), N_("relayed"), N_("expanded"),
    N_("bounce"), N_("feedback"), N_("vacation"), N_("none"),
    # periods of the HTML report's chart
    N_("day"), N_("month"), N_("year"),
)
"""Ids that people see translated while JSON keeps them as they are."""
