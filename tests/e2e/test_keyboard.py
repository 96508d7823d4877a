"""Issue 18.1, the keyboard: on the main flows every action is reached by Tab, the focus is always visible
(an outline or a box-shadow on :focus-visible), and the skip link moves the focus to the main content."""

import pytest

from tests.e2e.test_accessibility import SIZES
from tests.e2e.test_backoffice import login_as
from tests.factories import answered, registered, submit

pytestmark = pytest.mark.e2e

# Marks what the Tab key reached and whether it showed; returns the visible actions it never reached.
WALK = """
() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  const shadow = style.boxShadow && style.boxShadow !== "none";
  el.dataset.kbSeen = "1";
  // A date input takes several Tab stops (day, month, year, the calendar button drawn by the browser, which
  // shows its own ring): the input counts as showing its focus when its first stop does.
  if (el.dataset.kbShown) return {repeat: true};
  if (outline || shadow) el.dataset.kbShown = "1";
  return {tag: el.tagName, text: (el.textContent || el.name || el.id || "").trim().slice(0, 60),
          visible: outline || shadow, style: style.outlineStyle + " " + style.outlineWidth + " " + style.boxShadow};
}
"""
UNREACHED = """
() => {
  const actions = document.querySelectorAll(
    "a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]:not([tabindex='-1'])");
  const seenRadio = new Set(Array.from(document.querySelectorAll("input[type=radio][data-kb-seen]")).map(r => r.name));
  return Array.from(actions).filter(el => {
    if (el.disabled || el.dataset.kbSeen) return false;
    if (el.type === "radio" && seenRadio.has(el.name)) return false;  // a radio group is one Tab stop
    const box = el.getBoundingClientRect();
    if (!box.width || !box.height || getComputedStyle(el).visibility === "hidden") return false;
    const closed = el.closest("details:not([open])");
    if (closed && el.parentElement !== closed) return false;  // inside a closed <details>: its summary opens it
    return !el.closest("[hidden], [inert]");
  }).map(el => el.outerHTML.slice(0, 120));
}
"""


def tab_through(page, limit=250):
    """Press Tab until the focus leaves the page; return (stops, unreached actions)."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    stops = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        if stops and page.evaluate("document.activeElement.dataset.kbFirst") == "1":
            break  # round the page once (date inputs take several Tabs, so a repeat alone is no end)
        stop = page.evaluate(WALK)
        if stop is None:
            break
        if not stops:
            page.evaluate("document.activeElement.dataset.kbFirst = '1'")
        if not stop.get("repeat"):
            stops.append(stop)
    return stops, page.evaluate(UNREACHED)


@pytest.fixture
def flows(world, citizen, moderator, executor):
    potholes = world["potholes"]
    return {
        "submitted": submit(citizen, potholes),
        "registered": registered(citizen, potholes, moderator),
        "answered": answered(citizen, potholes, moderator, executor),
    }


MAIN_FLOWS = [
    ("guest", "/"),
    ("guest", "/m/{registered}/"),
    ("guest", "/accounts/login/"),
    ("guest", "/accounts/signup/"),
    ("citizen", "/submit/?category=potholes"),
    ("citizen", "/m/{answered}/"),
    ("citizen", "/cabinet/"),
    ("moderator", "/office/moderation/"),
    ("moderator", "/office/m/{submitted}/"),
    ("executor", "/office/m/{registered}/answer/"),
]


@pytest.mark.parametrize("size", list(SIZES))
def test_every_action_is_reached_by_tab_with_visible_focus(browser, live_server, flows, request, size):
    numbers = {k: m.number for k, m in flows.items()}
    problems = []
    contexts = {}
    for person, path in MAIN_FLOWS:
        if person not in contexts:
            context = browser.new_context(viewport=SIZES[size])
            page = context.new_page()
            if person != "guest":
                login_as(page, live_server, request.getfixturevalue(person))
            contexts[person] = page
        page = contexts[person]
        page.goto(live_server.url + path.format(**numbers))
        stops, unreached = tab_through(page)
        assert stops, path
        problems += [f"{path} as {person}: not reached by Tab: {html}" for html in unreached]
        problems += [
            f"{path} as {person}: focus not visible on {stop['tag']} «{stop['text']}» ({stop['style']})"
            for stop in stops
            if not stop["visible"]
        ]
    for page in contexts.values():
        page.context.close()
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("size", list(SIZES))
def test_skip_link_moves_the_focus_to_main(page, live_server, flows, moderator, size):
    page.set_viewport_size(SIZES[size])
    for path in ("/", "/m/{registered}/", "/no-such-page/"):
        page.goto(live_server.url + path.format(registered=flows["registered"].number))
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent.trim()") == "Перейти к содержанию"
        assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main", path
    login_as(page, live_server, moderator)
    page.goto(live_server.url + "/office/")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
