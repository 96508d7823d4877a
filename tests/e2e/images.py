"""Helpers for checking images in the browser tests."""


def loaded_width(img):
    """The natural width of an image once it has loaded (0 if it failed): a lazy image loads only in view,
    and right after navigation it may still be on its way."""
    img.scroll_into_view_if_needed()
    return img.evaluate(
        "img => img.complete ? img.naturalWidth : new Promise(done => {"
        " img.addEventListener('load', () => done(img.naturalWidth));"
        " img.addEventListener('error', () => done(0)); })"
    )
