"""The Questions report as CSV: one row per distinct question, under its group's number and size.

Every text cell is defused: a question or an article title is typed by a user or an uploader, and a spreadsheet
would run one starting with `=` as a formula (CSV injection).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from assistant.csv_cells import safe_cell
from assistant.support.grouping import QuestionGroup

HEADER = ("group", "group_size", "question", "nearest_articles")


def groups_csv(groups: Sequence[QuestionGroup]) -> str:
    """Groups numbered from 1 in the order given (the report's: biggest first); within a group the questions
    most central first. Article titles share one cell, separated by "; "."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for number, group in enumerate(groups, 1):
        titles = safe_cell("; ".join(a.title for a in group.articles))
        writer.writerows([str(number), str(group.size), safe_cell(q), titles] for q in group.questions)
    return out.getvalue()
