"""The photo upload field, shared by the two faces that take photos: the citizen's submission (portal/forms.py)
and the executor's answer (moderation/forms.py). It lives here, in the core both faces import, because a face
must not import another face; what a photo may be is the core's rule (messages.photos)."""

from django import forms


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; the photo pipeline (messages.photos) does the real checks."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/tiff"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []
