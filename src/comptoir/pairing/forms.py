from django import forms
from django.utils.translation import gettext_lazy as _

from comptoir.bugs.models import Bug
from comptoir.routing.models import Skill


class ProposeForm(forms.Form):
    """Up to three dates that fit the engineer's sprint, and their product area."""

    first = forms.DateField(label=_("First choice"), widget=forms.DateInput(attrs={"type": "date"}))
    second = forms.DateField(label=_("Second choice"), required=False,
                             widget=forms.DateInput(attrs={"type": "date"}))
    third = forms.DateField(label=_("Third choice"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))
    skill = forms.ModelChoiceField(label=_("Product area"), required=False,
                                   queryset=Skill.objects.all(),
                                   empty_label=_("(choose a skill or give a tag)"))
    tag = forms.CharField(label=_("or a conversation tag"), required=False, max_length=50)

    def clean(self):
        data = super().clean()
        if not data.get("skill") and not (data.get("tag") or "").strip():
            raise forms.ValidationError(_("Choose your product area: a skill or a tag."))
        return data

    def days(self) -> list:
        return [d for d in (self.cleaned_data.get(k) for k in ("first", "second", "third")) if d]


class RecordForm(forms.Form):
    learnings = forms.CharField(label=_("What did you learn?"),
                                widget=forms.Textarea(attrs={"rows": 5}), max_length=10000)
    bugs_found = forms.CharField(label=_("Bugs found"), required=False, max_length=10000,
                                 widget=forms.Textarea(attrs={"rows": 3}))
    bugs = forms.ModelMultipleChoiceField(
        label=_("Linked bugs"), required=False,
        queryset=Bug.objects.order_by("-created_at"),
        help_text=_("Bugs already tracked that you ran into."),
    )
    ux_issues = forms.CharField(label=_("UX issues"), required=False, max_length=10000,
                                widget=forms.Textarea(attrs={"rows": 3}))
    follow_ups = forms.CharField(label=_("Follow-ups"), required=False, max_length=10000,
                                 widget=forms.Textarea(attrs={"rows": 3}))


class ReactionForm(forms.Form):
    emoji = forms.CharField(max_length=32)
