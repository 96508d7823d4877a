"""CSV downloads of the statistics tables.

UTF-8 with a byte-order mark, `;` between fields and a decimal comma: that is what Excel with Russian
regional settings (the usual office setup in the city) opens correctly by double-click — it takes `,`
as the decimal separator, so a comma-separated file lands in one column there. LibreOffice and
pandas (`sep=";", decimal=","`) read it as well.
"""

import csv
import io

from .tables import NO_DATA


def _value(cell):
    if cell.value is None:
        return NO_DATA if cell.no_data else cell.text
    if isinstance(cell.value, float):
        return (f"{cell.value:.1f}" if cell.value % 1 else f"{cell.value:.0f}").replace(".", ",")
    return str(cell.value)


def table_csv(table):
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([table.label_header, *table.columns])
    for row in table.rows:
        writer.writerow([row.label, *(_value(c) for c in row.cells)])
    return buffer.getvalue().encode("utf-8")
