"""Language detection from the script of a text (no models, no downloads)."""

from __future__ import annotations

__all__ = [
    "KAZAKH_LETTERS",
    "detect_language",
]

#: Letters used in Kazakh Cyrillic but not in Russian.
KAZAKH_LETTERS = frozenset("әғқңөұүһіӘҒҚҢӨҰҮҺІ")


def detect_language(text: str, *, kazakh_share: float = 0.02) -> str:
    """Guess the language of ``text`` from its letters.

    Parameters
    ----------
    text : str
        Any text.
    kazakh_share : float
        Share of Kazakh-specific letters among Cyrillic letters from which the
        text counts as Kazakh (a Russian interview quoting a few Kazakh words
        stays Russian).

    Returns
    -------
    str
        ``"kk"`` (Cyrillic with Kazakh letters ә ғ қ ң ө ұ ү һ і), ``"ru"``
        (other Cyrillic), ``"en"`` (Latin script is taken as English) or ``"xx"``
        (no Cyrillic or Latin letters).

    Notes
    -----
    Cyrillic and Latin letters are counted; the larger group wins.

    Examples
    --------
    >>> detect_language("Мы переехали в Алматы осенью.")
    'ru'
    >>> detect_language("Біз Алматыға күзде көштік, бәрі жақсы.")
    'kk'
    >>> detect_language("We moved in the autumn.")
    'en'
    """
    cyrillic = latin = kazakh = dotted_i = 0
    for ch in text:
        if not ch.isalpha():
            continue
        if "\u0400" <= ch <= "\u04ff":
            cyrillic += 1
            if ch in "іІ":  # also Ukrainian/Belarusian: counts only beside other Kazakh letters
                dotted_i += 1
            elif ch in KAZAKH_LETTERS:
                kazakh += 1
        elif ch.isascii():
            latin += 1
    if cyrillic == 0 and latin == 0:
        return "xx"
    if latin > cyrillic:
        return "en"
    if kazakh and kazakh + dotted_i >= kazakh_share * cyrillic:
        return "kk"
    return "ru"
