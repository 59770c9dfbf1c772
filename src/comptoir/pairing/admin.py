from django.contrib import admin

from .models import Pairing, PairingRecord, TeamCoverage


@admin.register(TeamCoverage)
class TeamCoverageAdmin(admin.ModelAdmin):
    list_display = ("team", "minimum_per_hour")


@admin.register(Pairing)
class PairingAdmin(admin.ModelAdmin):
    list_display = ("day", "engineer", "advocate", "status", "tag", "skill")
    list_filter = ("status",)
    raw_id_fields = ("engineer", "advocate")
    date_hierarchy = "day"


@admin.register(PairingRecord)
class PairingRecordAdmin(admin.ModelAdmin):
    list_display = ("pairing", "written_by", "written_at")
    search_fields = ("learnings", "bugs_found", "ux_issues", "follow_ups")
    raw_id_fields = ("pairing", "bugs")
