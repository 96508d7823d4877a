"""How the statistics write numbers (tables, CSV-free text, chart labels): one helper for every place.

Russian typography: a comma before the decimals and a narrow no-break space between thousands. Django's
`intcomma` would group with an ordinary no-break space under the ru locale, and `floatformat` rounds
2.96 to «3» where the pages show «3,0», so the pages keep these three small functions instead.
"""

NO_DATA = "мало данных"


def integer(n):
    return f"{n:,}".replace(",", "\u202f")


def decimal(value):
    """One decimal, none for a whole number: «2,5», «3»."""
    text = f"{value:.1f}" if value % 1 else f"{value:.0f}"
    return text.replace(".", ",")


def percent(value):
    return NO_DATA if value is None else f"{value:.1f}".replace(".", ",") + " %"


def days(value):
    return NO_DATA if value is None else decimal(value)
