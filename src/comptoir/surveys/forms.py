from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from comptoir.conversations.models import Channel

from .models import SURVEY_CHANNELS, Rating, Reason, SurveySettings
from .services import MAX_COMMENT

LIMITS = (("delay_hours", 0, 24 * 30), ("suppression_days", 0, 365), ("expiry_days", 1, 90))


class SurveySettingsForm(forms.ModelForm):
    """When surveys go out, to whom, on which channels, with which reasons."""

    channels = forms.MultipleChoiceField(
        label=_("Channels"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=[(c, label) for c, label in Channel.choices if c in SURVEY_CHANNELS],
        help_text=_("Email: a message with a link. Chat and web form: a message in the "
                    "conversation."),
    )
    reasons = forms.MultipleChoiceField(
        label=_("Reasons offered with a bad rating"), required=False,
        widget=forms.CheckboxSelectMultiple, choices=Reason.choices,
    )

    class Meta:
        model = SurveySettings
        fields = ["is_active", "delay_hours", "suppression_days", "expiry_days", "channels",
                  "reasons"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, low, high in LIMITS:
            field = self.fields[name]
            field.validators += [MinValueValidator(low), MaxValueValidator(high)]
            field.widget.attrs.update(min=low, max=high)


class AnswerForm(forms.Form):
    rating = forms.ChoiceField(label=_("Your rating"), choices=Rating.choices,
                               widget=forms.RadioSelect)
    reason = forms.ChoiceField(label=_("If something went wrong, what was it?"),
                               required=False, choices=())
    comment = forms.CharField(label=_("Anything else you'd like to tell us?"), required=False,
                              max_length=MAX_COMMENT,
                              widget=forms.Textarea(attrs={"rows": 5}))

    def __init__(self, *args, reasons=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = [("", _("(optional)")), *reasons]
