from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest

from kapclinic.accounts.models import (
    Clinic,
    OpeningHours,
    Organization,
    Room,
    StaffMembership,
    User,
)


class ReadOnlyAdmin:
    """Roles are granted and ended only through accounts.services (audited, with its rules:
    the clinic's Staff page, or ``manage.py grant_role`` for an operator), never here."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class MembershipInline(ReadOnlyAdmin, admin.TabularInline[StaffMembership, User]):
    model = StaffMembership
    fk_name = "user"
    extra = 0
    fields = ["clinic", "role", "is_active"]


@admin.register(User)
class UserAdmin(BaseUserAdmin[User]):
    ordering = ["full_name"]
    list_display = ["full_name", "credentials", "email", "is_active", "is_staff"]
    list_filter = ["is_active", "is_staff", "memberships__role"]
    search_fields = ["full_name", "email"]
    readonly_fields = ["public_id", "last_login", "date_joined"]
    fieldsets = (
        (None, {"fields": ("email", "password", "public_id")}),
        ("Person", {"fields": ("full_name", "credentials")}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "full_name", "credentials", "password1", "password2"),
            },
        ),
    )
    inlines = [MembershipInline]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin[Organization]):
    list_display = ["name", "created_at"]
    search_fields = ["name"]


class OpeningHoursInline(admin.TabularInline[OpeningHours, Clinic]):
    model = OpeningHours
    extra = 0


class RoomInline(admin.TabularInline[Room, Clinic]):
    model = Room
    extra = 0
    fields = [
        "name",
        "kind",
        "capacity",
        "has_recliner",
        "has_bp_monitor",
        "has_pulse_oximeter",
        "is_active",
    ]


@admin.register(Clinic)
class ClinicAdmin(admin.ModelAdmin[Clinic]):
    list_display = ["name", "code", "organization", "city", "region", "time_zone", "is_active"]
    list_filter = ["organization", "is_active", "jurisdiction"]
    search_fields = ["name", "code", "city"]
    readonly_fields = ["public_id"]
    inlines = [OpeningHoursInline, RoomInline]


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin[Room]):
    list_display = [
        "name",
        "clinic",
        "kind",
        "capacity",
        "has_recliner",
        "has_pulse_oximeter",
        "is_active",
    ]
    list_filter = ["clinic", "kind", "is_active"]
    search_fields = ["name"]


@admin.register(StaffMembership)
class StaffMembershipAdmin(ReadOnlyAdmin, admin.ModelAdmin[StaffMembership]):
    list_display = ["user", "clinic", "role", "is_active"]
    list_filter = ["clinic", "role", "is_active"]
    search_fields = ["user__full_name", "user__email"]
