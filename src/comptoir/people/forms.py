from django import forms
from django.utils.translation import gettext_lazy as _

from comptoir.accounts.models import TIME_ZONE_CHOICES

from .models import Person


class PersonForm(forms.ModelForm):
    time_zone = forms.ChoiceField(label=_("time zone"), choices=[("", "—"), *TIME_ZONE_CHOICES],
                                  required=False)

    class Meta:
        model = Person
        fields = ["name", "language", "time_zone", "organisation", "plan", "notes"]


class MergeForm(forms.Form):
    target = forms.ModelChoiceField(
        label=_("Merge into"), queryset=Person.objects.active(),
        widget=forms.NumberInput, help_text=_("The number of the person to keep."),
    )
