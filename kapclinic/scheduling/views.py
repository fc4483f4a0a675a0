"""Clinic → Protocols: the clinic's treatment protocols, each version in words, and (clinic
admins) publishing a new version or retiring a protocol. Everything acts on the user's current
clinic; another clinic's version answers 404 like a missing one."""

from __future__ import annotations

import json
from uuid import UUID

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from kapclinic.accounts.permissions import Capability, current_clinic, requires
from kapclinic.accounts.types import ClinicRequest
from kapclinic.scheduling.exceptions import ProtocolDefinitionError, SchedulingError
from kapclinic.scheduling.forms import PublishVersionForm, RetireProtocolForm
from kapclinic.scheduling.selectors import (
    access_protocol_version,
    list_protocols,
    protocol_page,
)
from kapclinic.scheduling.services import publish_protocol_version, retire_protocol


@never_cache
@require_GET
@requires(Capability.VIEW_PROTOCOLS)
def protocols(request: ClinicRequest) -> HttpResponse:
    clinic = current_clinic(request)
    return render(
        request, "scheduling/protocols.html", {"clinic": clinic, "rows": list_protocols(clinic)}
    )


@never_cache
@require_GET
@requires(Capability.VIEW_PROTOCOLS)
def protocol(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    clinic = current_clinic(request)
    page = protocol_page(clinic, public_id, today=clinic.local_today())
    return render(request, "scheduling/protocol.html", {"clinic": clinic, "page": page})


@never_cache
@require_http_methods(["GET", "POST"])
@requires(Capability.MANAGE_PROTOCOLS)
def publish(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    """A new version of the protocol, edited from version ``public_id``'s document."""
    clinic = current_clinic(request)
    base = access_protocol_version(clinic, public_id)
    form = PublishVersionForm(
        request.POST if request.method == "POST" else None,
        initial={"document": json.dumps(base.document, indent=2, ensure_ascii=False)},
    )
    if form.is_bound and form.is_valid():
        try:
            version = publish_protocol_version(
                actor=request.actor,
                clinic=clinic,
                document=form.cleaned_data["document"],
                reason=form.cleaned_data["reason"],
                now=timezone.now(),
                code=base.code,
            )
        except ProtocolDefinitionError as error:
            form.add_error("document", list(error.problems))
        except SchedulingError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(
                request,
                f"Version {version.version} of {version.name} is published: new courses start "
                "on it; running courses keep their version.",
            )
            return redirect("scheduling:protocol", public_id=version.public_id)
    return render(
        request,
        "scheduling/publish.html",
        {"clinic": clinic, "base": base, "form": form},
        status=422 if form.is_bound else 200,
    )


@never_cache
@require_http_methods(["GET", "POST"])
@requires(Capability.MANAGE_PROTOCOLS)
def retire(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    clinic = current_clinic(request)
    version = access_protocol_version(clinic, public_id)
    form = RetireProtocolForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            retire_protocol(
                actor=request.actor,
                version=version,
                reason=form.cleaned_data["reason"],
                now=timezone.now(),
            )
        except SchedulingError as error:
            form.add_error("reason" if error.field == "reason" else None, error.message)
        else:
            messages.success(
                request,
                f"{version.name} is retired: it is no longer offered for new courses.",
            )
            return redirect("scheduling:protocol", public_id=version.public_id)
    return render(
        request,
        "scheduling/retire.html",
        {"clinic": clinic, "version": version, "form": form},
        status=422 if form.is_bound else 200,
    )
