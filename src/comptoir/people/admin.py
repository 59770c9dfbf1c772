from django.contrib import admin

from .models import Identity, Organisation, Person, PersonMerge


class IdentityInline(admin.TabularInline):
    model = Identity
    extra = 0
    readonly_fields = ["proof", "verified_at"]


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation", "plan", "language", "created_at"]
    list_filter = ["plan", "language"]
    search_fields = ["name", "identities__value"]
    inlines = [IdentityInline]
    raw_id_fields = ["organisation", "merged_into"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "domain", "plan"]
    search_fields = ["name", "domain"]


@admin.register(PersonMerge)
class PersonMergeAdmin(admin.ModelAdmin):
    list_display = ["source", "target", "actor", "created_at", "undone_at"]
    raw_id_fields = ["source", "target"]
