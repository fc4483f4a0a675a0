"""Forms of the notes page and of the REMS form page. They check shape only; the services
decide (an empty note, a role not held, a day outside the session's week are theirs)."""

from __future__ import annotations

from django import forms

from kapclinic.dosing.models import NoteAuthorRole
from kapclinic.dosing.notes.services import MAX_NOTE_CHARS

SAVE = "save"
SIGN = "sign"


def _role_field(roles: list[NoteAuthorRole]) -> forms.ChoiceField:
    return forms.ChoiceField(
        label="Writing as",
        choices=[(r.value, r.label) for r in roles],
        initial=roles[0].value if roles else "",
    )


class NoteForm(forms.Form):
    """The author's draft; "Sign and lock" signs what is in the box."""

    text = forms.CharField(
        label="Your note",
        max_length=MAX_NOTE_CHARS,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Saved as a draft until you sign it. Once signed it never changes: later "
        "changes are addenda.",
    )

    def __init__(self, *args: object, roles: list[NoteAuthorRole], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if len(roles) > 1:
            self.fields["role"] = _role_field(roles)


class AddendumForm(forms.Form):
    text = forms.CharField(
        label="Addendum",
        max_length=MAX_NOTE_CHARS,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Signed with your name and the time as soon as you add it.",
    )

    def __init__(self, data: object = None, *, roles: list[NoteAuthorRole], prefix: str) -> None:
        super().__init__(data, prefix=prefix)  # type: ignore[arg-type]
        if len(roles) > 1:
            self.fields["role"] = _role_field(roles)


class RemsSubmittedForm(forms.Form):
    confirmation_number = forms.CharField(
        label="REMS confirmation number",
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text="As the REMS showed it when the form was submitted.",
    )
    submitted_on = forms.DateField(
        label="Submitted on",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The day it was submitted to the REMS (today, or an earlier day).",
    )
