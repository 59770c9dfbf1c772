from django import forms
from django.utils.translation import gettext_lazy as _

from comptoir.accounts.models import Team, User
from comptoir.people.models import Plan

from .models import Channel, MessageKind, Priority, Status


class ComposeForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[(MessageKind.REPLY, _("Reply")), (MessageKind.NOTE, _("Note"))],
        initial=MessageKind.REPLY,
    )
    text = forms.CharField(
        label=_("Message"), widget=forms.Textarea(attrs={"rows": 6}), max_length=100_000,
        error_messages={"required": _("Write something first.")},
    )
    status = forms.ChoiceField(
        label=_("and set status"), required=False,
        choices=[("", _("keep status")), *Status.choices],
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)
    attachment = forms.FileField(label=_("Attach a file"), required=False)


class UpdateForm(forms.Form):
    """Properties an agent changes; only the fields present in the POST are applied."""

    status = forms.ChoiceField(label=_("Status"), choices=Status.choices, required=False)
    priority = forms.TypedChoiceField(label=_("Priority"), choices=Priority.choices, coerce=int,
                                      required=False)
    assignee = forms.ModelChoiceField(label=_("Assignee"), queryset=User.objects.none(),
                                      required=False, empty_label=_("Nobody"))
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.all(), required=False,
                                  empty_label=_("No team"))
    language = forms.ChoiceField(label=_("Language"), required=False)

    def __init__(self, *args, **kwargs):
        from django.conf import settings

        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = User.objects.filter(is_active=True).exclude(
            role="observer").order_by("first_name", "username")
        self.fields["language"].choices = [("", _("Unknown")), *settings.LANGUAGES]

    def changed_values(self) -> dict:
        """Only the fields the request carried: a form never overwrites what it did not show."""
        return {name: self.cleaned_data[name] for name in self.fields if name in self.data}


class TagForm(forms.Form):
    tags = forms.CharField(label=_("Add tags"), max_length=500,
                           help_text=_("Separate tags with commas or spaces."))


class ReactionForm(forms.Form):
    emoji = forms.CharField(max_length=32)


class InboxFilterForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), required=False,
                                choices=[("", _("Any channel")), *Channel.choices])
    language = forms.ChoiceField(label=_("Language"), required=False)
    plan = forms.ChoiceField(label=_("Plan"), required=False,
                             choices=[("", _("Any plan")), *Plan.choices])
    tag = forms.CharField(label=_("Tag"), required=False, max_length=50)
    team = forms.ChoiceField(label=_("Team"), required=False)

    def __init__(self, *args, **kwargs):
        from django.conf import settings

        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [("", _("Any language")), *settings.LANGUAGES]
        self.fields["team"].choices = [
            ("", _("Any team")), *Team.objects.values_list("slug", "name")
        ]

    def filters(self) -> dict[str, str]:
        if not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v}
