from django import forms
from django.utils.translation import gettext_lazy as _

from .models import TIME_ZONE_CHOICES, User


class PreferencesForm(forms.ModelForm):
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=TIME_ZONE_CHOICES)

    class Meta:
        model = User
        fields = ["first_name", "last_name", "language", "time_zone"]


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Token name"), max_length=100,
                           help_text=_("What will use it, e.g. “billing sync”."))
