"""Admin for quality review. Reviews and ratings are read-only here: scores are computed by
the services, and editing them by hand would break IQS."""

from django.contrib import admin

from .models import Assignment, CalibrationSession, Category, Dispute, Review, Scorecard


class CategoryInline(admin.TabularInline):
    model = Category
    extra = 0


@admin.register(Scorecard)
class ScorecardAdmin(admin.ModelAdmin):
    list_display = ("name", "is_active", "created_at")
    inlines = [CategoryInline]


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ("conversation", "reviewer", "scorecard", "score", "is_self", "created_at")
    list_filter = ("scorecard", "is_self")
    readonly_fields = [f.name for f in Review._meta.fields] + ["reviewees"]

    def has_add_permission(self, request):
        return False


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ("week", "reviewer", "conversation", "reviewee")
    list_filter = ("week",)
    raw_id_fields = ("reviewer", "conversation", "reviewee")


@admin.register(CalibrationSession)
class CalibrationSessionAdmin(admin.ModelAdmin):
    list_display = ("title", "conversation", "scorecard", "revealed_at")
    raw_id_fields = ("conversation",)


@admin.register(Dispute)
class DisputeAdmin(admin.ModelAdmin):
    list_display = ("review", "opened_by", "status", "created_at", "resolved_at")
    list_filter = ("status",)
    readonly_fields = ("review", "opened_by", "reason", "created_at")
