from django import forms
from django.utils.translation import gettext_lazy as _

from comptoir.accounts.models import TIME_ZONE_CHOICES

from .models import IdentityKind, Person


class PersonForm(forms.ModelForm):
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=[("", "—"), *TIME_ZONE_CHOICES],
                                  required=False)

    class Meta:
        model = Person
        fields = ["name", "language", "time_zone", "organisation", "plan", "notes"]


class MergeForm(forms.Form):
    target = forms.ModelChoiceField(
        label=_("Merge into"), queryset=Person.objects.active(),
        widget=forms.NumberInput, help_text=_("The number of the person to keep."),
    )


class IdentityForm(forms.Form):
    """An agent confirms, after checking, that this address or handle is the customer's."""

    kind = forms.ChoiceField(label=_("Kind"), choices=IdentityKind.choices)
    network = forms.CharField(label=_("Network"), max_length=32, required=False,
                              help_text=_("For a social handle: twitter, mastodon…"))
    value = forms.CharField(label=_("Address or handle"), max_length=320)
