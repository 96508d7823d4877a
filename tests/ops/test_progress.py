"""Long commands show progress (issue 17.6): a tqdm bar on a terminal, plain lines anywhere else."""

import io
import re

from django.core.management import call_command
from tqdm import tqdm

from stats import services
from tests.factories import registered
from zarechny.progress import PlainProgress, ProgressCallback, progress

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # \r, escape sequences … (not \t, \n)


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_stats_refresh_full_without_a_terminal_prints_plain_lines(world, citizen, moderator, monkeypatch):
    for _ in range(4):
        registered(citizen, world["potholes"], moderator)
    monkeypatch.setattr(services, "CHUNK", 1)  # one message per chunk: a line per quarter
    out = io.StringIO()
    call_command("stats_refresh", "--full", stdout=out)
    text = out.getvalue()
    assert not CONTROL.search(text)
    lines = text.splitlines()
    assert lines[0] == "statistics: messages read: start, 4 msg"
    assert lines[1].startswith("statistics: messages read: 1 msg of 4 msg (25 %), ")
    assert "left" in lines[1]
    assert lines[-2].startswith("statistics: messages read: done, 4 msg in ")
    assert lines[-1].startswith("statistics refreshed: ")


def test_on_a_terminal_the_command_draws_a_bar(world, citizen, moderator):
    registered(citizen, world["potholes"], moderator)
    out = Terminal()
    call_command("stats_refresh", "--full", stdout=out)
    assert "\r" in out.getvalue() and "1/1" in out.getvalue()


def test_plain_progress_prints_a_line_per_tenth_with_an_estimate():
    out = io.StringIO()
    with progress(1000, "load", stream=out, unit="msg") as bar:
        assert isinstance(bar, PlainProgress)
        for _ in range(100):
            bar.update(10)
    lines = out.getvalue().splitlines()
    assert len(lines) == 11  # start, 10 % … 90 %, done
    assert lines[5].startswith("load: 500 msg of 1 000 msg (50 %), ") and lines[5].endswith(" left")
    assert lines[-1].startswith("load: done, 1 000 msg in ")
    assert isinstance(progress(10, "load", stream=Terminal()), tqdm)


def test_byte_amounts_and_the_callback_form():
    out = io.StringIO()
    with ProgressCallback("backup", stream=out, unit="B") as callback:
        callback(0, 3 * 2**20)
        callback(3 * 2**20, 3 * 2**20)
    assert out.getvalue().splitlines() == ["backup: start, 3.0 MB", out.getvalue().splitlines()[1]]
    assert out.getvalue().splitlines()[1].startswith("backup: done, 3.0 MB in ")
