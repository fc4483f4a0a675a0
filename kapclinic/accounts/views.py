from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from kapclinic.accounts.forms import LoginForm, SwitchClinicForm
from kapclinic.accounts.middleware import SESSION_CLINIC_KEY
from kapclinic.accounts.permissions import Capability, requires
from kapclinic.accounts.types import ClinicRequest


@method_decorator(login_not_required, name="dispatch")
class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


logout = requires(Capability.MANAGE_OWN_ACCOUNT)(auth_views.LogoutView.as_view())


@require_POST
@requires(Capability.MANAGE_OWN_ACCOUNT)
def switch_clinic(request: ClinicRequest) -> HttpResponse:
    """Work in another of the user's clinics; a clinic they do not belong to is refused."""
    form = SwitchClinicForm(request.POST)
    allowed = {str(m.clinic.public_id): m.clinic for m in request.memberships}
    if not form.is_valid() or str(form.cleaned_data["clinic"]) not in allowed:
        messages.error(request, "You do not work in that clinic.")
        return redirect("today:home")
    clinic = allowed[str(form.cleaned_data["clinic"])]
    request.session[SESSION_CLINIC_KEY] = str(clinic.public_id)
    messages.success(request, f"Now working in {clinic.name}.")
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("today:home")
