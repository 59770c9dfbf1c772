"""Forms of the bug pages and the conversation's bugs panel."""

from django import forms
from django.utils.translation import gettext_lazy as _

from . import services, trackers


class NewBugForm(forms.Form):
    """A new bug to link the conversation to. With only the tracker address of a bug that
    exists, that bug is linked."""

    title = forms.CharField(label=_("Title"), max_length=services.MAX_TITLE, required=False)
    tracker_url = forms.CharField(
        label=_("Issue address"), max_length=trackers.MAX_URL_LENGTH, required=False,
        help_text=_("GitHub, GitLab or Jira issue, or any tracker's page."),
    )

    def clean(self):
        data = super().clean()
        if not data.get("title", "").strip() and not data.get("tracker_url", "").strip():
            raise forms.ValidationError(_("Give the bug a title or its issue address."))
        return data


class LinkForm(forms.Form):
    bug = forms.IntegerField(min_value=1)


class FixForm(forms.Form):
    note = forms.CharField(
        label=_("Note for customers"), required=False, max_length=services.MAX_NOTE,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Added to the follow-up, as written: what changed, what to do now. "
                    "Every affected customer reads it."),
    )


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("What came back"), required=False, max_length=services.MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For the team, in each linked conversation's history; customers do not "
                    "see it."),
    )
