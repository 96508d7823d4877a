"""The app → app dependency graph of the project, and the layer rule it must keep (issue 12.1).

Run it:  .venv/bin/python tools/import_graph.py            (edges, then violations; exit 1 if any)
         .venv/bin/python tools/import_graph.py --detail   (every reference, file by file)

An edge is one app using another by any of these means:
  import    a Python `import` / `from … import` (module-level or inside a function)
  url       a URL name (`reverse("portal:cabinet")`, `redirect(...)`, `{% url 'office:home' %}`) or a hard-coded
            path ("/office/", href="/m/…") that the other app's URLconf serves
  template  a template the other app's folder holds (`render(…, "portal/x.html")`, `{% extends %}`,
            `{% include %}`)
  tag       a template tag library the other app defines (`{% load portal %}`)

The layers (tests/test_layers.py keeps them):
  0  accounts, directory           the reference data and people
  1  messages                      the domain core: models, state machine, services, selectors, notices
  2  portal, moderation, stats, api  the faces; and "site", the neutral layouts every face may extend
The project package (zarechny: settings, root URLconf, middleware) sits above all and is not checked.

Rules: nothing uses an app of a higher layer; a face does not import another face's Python (each face can be
replaced on its own; links between faces' pages and one face's page in another face's layout are allowed);
the neutral layouts ("site") use no face's template or tag library (they may link faces' pages: navigation).

Templates belong to a layer by their folder (TEMPLATE_OWNERS); a template in an unmapped folder is reported.
"""

import ast
import os
import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

RANK = {
    "accounts": 0,
    "directory": 0,
    "messages": 1,
    "portal": 2,
    "moderation": 2,
    "stats": 2,
    "api": 2,
    "site": 2,
}
FACES = frozenset({"portal", "moderation", "stats", "api"})
APPS = tuple(app for app in RANK if app != "site")

# Template folder (first path part, or the file name at the top) → the app that owns it.
TEMPLATE_OWNERS = {
    "portal": "portal",
    # allauth's account and second-factor pages, presented in the portal's layout and form helpers.
    "account": "portal",
    "mfa": "portal",
    "backoffice": "moderation",
    "stats": "stats",
    "api": "api",
    # The notices the core sends (messages/notifications.py).
    "emails": "messages",
    # The admin's pages for the directory (directory/admin.py).
    "admin": "directory",
    # Neutral layouts: the page skeleton, the staff layout shared by moderation and stats, the error pages.
    "base.html": "site",
    "staff": "site",
    "errors": "site",
    "400.html": "site",
    "403.html": "site",
    "403_csrf.html": "site",
    "404.html": "site",
    "500.html": "site",
    "503.html": "site",
    # the one pager every face includes (links by {% querystring %}, wording passed in by the face)
    "_pager.html": "site",
}

TEMPLATE_REF_RE = re.compile(r"""{%\s*(extends|include)\s+["']([^"']+)["']""")
LOAD_RE = re.compile(r"{%\s*load\s+([^%]+?)\s*%}")
URL_TAG_RE = re.compile(r"""{%\s*url\s+["']([^"']+)["']""")
HREF_RE = re.compile(r"""(?:href|action|src)="(/[^"{]*)""")
URL_CALLS = frozenset({"reverse", "reverse_lazy", "redirect", "resolve_url", "redirect_to_login"})


def template_owner(relpath):
    """The app owning a template path relative to templates/ ("portal/base.html" → "portal"), or None."""
    first = relpath.split("/", 1)[0]
    return TEMPLATE_OWNERS.get(first)


def url_map():
    """(URL name → owning app, [(path prefix, owning app)]) from the running URLconf. Needs Django set up."""
    from django.urls import URLPattern, URLResolver, get_resolver

    names, prefixes = {}, []

    def walk(patterns, namespace, prefix, module):
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                mod = getattr(entry.urlconf_module, "__name__", module)
                ns = ":".join(filter(None, [namespace, entry.namespace]))
                walk(entry.url_patterns, ns, route, mod)
            elif isinstance(entry, URLPattern):
                app = module.split(".", 1)[0]
                if app not in APPS:
                    continue
                if entry.name:
                    names[":".join(filter(None, [namespace, entry.name]))] = app
                literal = "/" + re.split(r"[<^$(\[]", route, maxsplit=1)[0]
                if literal.count("/") >= 2:  # at least one whole path segment: "/m/", not "/"
                    prefixes.append((literal[: literal.index("/", 1) + 1], app))

    walk(get_resolver().url_patterns, "", "", "zarechny.urls")
    return names, sorted(set(prefixes))


def tag_libraries(root):
    """Template tag library name → app that defines it."""
    return {path.stem: path.parts[-3] for path in root.glob("*/templatetags/*.py") if path.stem != "__init__"}


def path_owner(value, prefixes):
    for prefix, app in prefixes:
        if value.startswith(prefix):
            return app
    return None


def python_refs(path, app, names, prefixes, templates):
    """Yield (kind, target app, detail) for one Python file of `app`."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    namespaces = {name.split(":", 1)[0] + ":": app for name, app in names.items() if ":" in name}
    seen = set()  # string constants already counted as a URL call's argument
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield "import", alias.name.split(".", 1)[0], alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield "import", node.module.split(".", 1)[0], node.module
        elif isinstance(node, ast.Call):
            func = node.func
            called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if called in URL_CALLS and node.args and isinstance(node.args[0], ast.Constant):
                value = node.args[0].value
                if isinstance(value, str) and value in names:
                    seen.add(id(node.args[0]))
                    yield "url", names[value], value
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in seen:
            value = node.value
            if ":" in value and value in names:
                yield "url", names[value], value
            elif value in templates:
                yield "template", templates[value], value
            elif value.startswith("/") and path_owner(value, prefixes):
                yield "url", path_owner(value, prefixes), value
        elif isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
            head = node.values[0].value
            # f"office:{view}": a name built in the namespace of the face that owns it. (A path's head,
            # f"/m/{number}/", is a constant of its own and is caught above.)
            if isinstance(head, str) and ":" in head and head.split(":", 1)[0] + ":" in namespaces:
                yield "url", namespaces[head.split(":", 1)[0] + ":"], head + "…"


def template_refs(text, names, prefixes, templates, libraries):
    for _, name in TEMPLATE_REF_RE.findall(text):
        if name in templates:
            yield "template", templates[name], name
    for group in LOAD_RE.findall(text):
        for library in group.split():
            if library in libraries:
                yield "tag", libraries[library], library
    for name in URL_TAG_RE.findall(text):
        if name in names:
            yield "url", names[name], name
    for value in HREF_RE.findall(text):
        if path_owner(value, prefixes):
            yield "url", path_owner(value, prefixes), value


def references(root=ROOT, names=None, prefixes=None):
    """Every cross-app reference: (source app, target app, kind, file, detail). URL data from Django unless
    given (the unit test passes its own)."""
    if names is None:
        names, prefixes = url_map()
    tdir = root / "templates"
    templates = {}
    for path in sorted(tdir.rglob("*")):
        if path.is_file():
            rel = path.relative_to(tdir).as_posix()
            templates[rel] = template_owner(rel) or "?"
    libraries = tag_libraries(root)
    found = []
    for app in APPS:
        for path in sorted((root / app).rglob("*.py")) if (root / app).is_dir() else ():
            if "migrations" in path.parts:
                continue
            for kind, target, detail in python_refs(path, app, names, prefixes, templates):
                if target in RANK and target != app:
                    found.append((app, target, kind, path.relative_to(root).as_posix(), detail))
    for rel, owner in templates.items():
        if not rel.endswith((".html", ".txt")):
            continue
        text = (tdir / rel).read_text(encoding="utf-8")
        for kind, target, detail in template_refs(text, names, prefixes, templates, libraries):
            if target != owner:
                found.append((owner, target, kind, f"templates/{rel}", detail))
    return found


def violation(source, target, kind):
    """Why `source` may not use `target` this way, or None when it may."""
    if source == "?" or target == "?":
        return "template in a folder with no layer (tools/import_graph.py TEMPLATE_OWNERS)"
    if RANK[target] > RANK[source]:
        return "upward"
    if kind == "import" and source in FACES and target in FACES:
        return "one face imports another"
    if source == "site" and target in FACES and kind in ("template", "tag"):
        return "a neutral layout uses a face's template or tags"
    return None


def violations(found):
    return [(s, t, k, f, d, why) for s, t, k, f, d in found if (why := violation(s, t, k))]


def main(argv):
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zarechny.settings")
    os.environ.setdefault("DEBUG", "1")  # a developer tool: the settings need no production secrets
    import django

    django.setup()
    found = references()
    edges = defaultdict(lambda: defaultdict(int))
    for source, target, kind, *_ in found:
        edges[(source, target)][kind] += 1
    for (source, target), kinds in sorted(edges.items(), key=lambda e: (RANK.get(e[0][0], 9), e[0])):
        print(f"{source:>10} -> {target:<10} " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
    if "--detail" in argv:
        for row in sorted(found):
            print("  ", *row)
    bad = violations(found)
    print(f"\n{len(bad)} violation(s)")
    for source, target, kind, where, detail, why in bad:
        print(f"  {why}: {where}: {kind} {detail} ({source} -> {target})")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
