from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from comptoir.accounts.models import Team

from .models import MAX_DAILY_COUNT


class ShareSettingsForm(forms.Form):
    daily_count = forms.IntegerField(
        label=_("Conversations a day"), min_value=0, max_value=MAX_DAILY_COUNT,
        help_text=_("0 turns your daily share off. Leave pauses it on its own."),
    )


class AskForm(forms.Form):
    key = forms.CharField(max_length=64, widget=forms.HiddenInput)


class SupportDayForm(forms.Form):
    day = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    title = forms.CharField(label=_("Title"), max_length=200)
    whole_company = forms.BooleanField(label=_("Whole company"), required=False,
                                       help_text=_("Otherwise, the teams chosen below."))
    teams = forms.ModelMultipleChoiceField(label=_("Teams"), queryset=Team.objects.all(),
                                           required=False,
                                           widget=forms.CheckboxSelectMultiple)
    notes = forms.CharField(label=_("Notes for participants"), required=False,
                            widget=forms.Textarea(attrs={"rows": 3}))
    window_start = forms.TimeField(
        label=pgettext_lazy("start of a time window", "From"), required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
        help_text=_("Optional: the same local hours for everyone, each in their own time "
                    "zone. Empty: their whole working day."))
    window_end = forms.TimeField(label=pgettext_lazy("end of a time window", "Until"),
                                 required=False,
                                 widget=forms.TimeInput(attrs={"type": "time"}))


class CancelSupportDayForm(forms.Form):
    reason = forms.CharField(label=_("Why is it cancelled?"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=_("Participants receive it by email."))


class OnCallForm(forms.Form):
    hour = forms.DateTimeField(label=_("Hour (UTC)"), input_formats=["%Y-%m-%dT%H:%M%z",
                                                                      "%Y-%m-%dT%H:%M:%S%z"])
    advocate = forms.IntegerField(label=_("Advocate"))
    on_call = forms.TypedChoiceField(
        label=_("Change"), coerce=lambda value: value == "1",
        choices=[("1", _("Put on call")), ("0", _("Take off call"))])


class UxProblemForm(forms.Form):
    title = forms.CharField(label=_("Problem"), max_length=200)
    note = forms.CharField(label=_("Note"), required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))
    conversation = forms.IntegerField(label=_("Conversation number"), required=False,
                                      min_value=1)


class LearningsForm(forms.Form):
    learnings = forms.CharField(label=_("Learnings"), required=False,
                                widget=forms.Textarea(attrs={"rows": 6}))


class ToneNoteForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    text = forms.CharField(label=_("Tone notes"), required=False,
                           widget=forms.Textarea(attrs={"rows": 4}))
