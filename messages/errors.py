from typing import Any


class MessageActionError(Exception):
    """A forbidden or impossible action on a message. `str(error)` is the Russian text for the person.

    `field` names the form field the error belongs to, when there is one.
    """

    def __init__(self, text: str, *, field: str | None = None, code: str = "forbidden") -> None:
        super().__init__(text)
        self.text = text
        self.field = field
        self.code = code

    def __str__(self) -> str:
        return self.text

    def attach_to(self, form: Any) -> None:
        """Show the error next to the field it names, or at the top of the form when it names none."""
        form.add_error(self.field if self.field in form.fields else None, self.text)
