"""The clinic's screening policy page (policy.py): one form per protocol family."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from kapclinic.accounts.permissions import (
    Capability,
    allows,
    current_clinic,
    requires,
    roles_with,
)
from kapclinic.accounts.selectors import list_holders_of
from kapclinic.accounts.types import ClinicRequest
from kapclinic.screening.exceptions import ScreeningForbiddenError
from kapclinic.screening.models import ProtocolFamily
from kapclinic.screening.policy import choice_of, policy_for, rule_choices, set_policy
from kapclinic.screening.rules import Family, RuleSet, ScreeningPolicy, ScreeningPolicyError
from kapclinic.screening.rulesets import ruleset_for


class PolicyForm(forms.Form):
    bp_systolic_max_mmhg = forms.IntegerField(
        label="Systolic BP limit (mmHg)",
        min_value=100,
        max_value=260,
        help_text="Above this, R-SCR-4 holds treatment. The 140/90 default is unverified "
        "(clinical reference §1.2, §10): set what your protocol says.",
    )
    bp_diastolic_max_mmhg = forms.IntegerField(
        label="Diastolic BP limit (mmHg)", min_value=40, max_value=160
    )
    home_programme = forms.BooleanField(
        label="This clinic runs a home programme for this treatment", required=False
    )
    reason = forms.CharField(
        label="Reason for the change",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=1000,
        help_text="Kept in the audit trail (at least 10 characters), e.g. the protocol version.",
    )

    def __init__(self, *args: Any, ruleset: RuleSet, policy: ScreeningPolicy, **kwargs: Any):
        kwargs["prefix"] = ruleset.family.value
        super().__init__(*args, **kwargs)
        self.ruleset = ruleset
        self.fields["bp_systolic_max_mmhg"].initial = policy.bp_systolic_max_mmhg
        self.fields["bp_diastolic_max_mmhg"].initial = policy.bp_diastolic_max_mmhg
        self.fields["home_programme"].initial = policy.home_programme
        if ruleset.family is Family.ESKETAMINE:
            del self.fields["home_programme"]  # REMS: never at home (ref §1.2)
        for choice in rule_choices(ruleset):
            rule = choice.rule
            self.fields[f"rule__{rule.rule_id}"] = forms.ChoiceField(
                label=f"{rule.rule_id}: {rule.title}",
                choices=choice.choices,
                initial=choice_of(policy, rule.rule_id),
                required=False,  # a rule left out of the POST keeps its default
                help_text=f"{rule.source} [{rule.evidence_label}]",
            )

    def rule_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith("rule__")]

    def rule_settings(self) -> dict[str, str]:
        return {
            name.removeprefix("rule__"): value or "default"
            for name, value in self.cleaned_data.items()
            if name.startswith("rule__")
        }


@require_http_methods(["GET", "POST"])
@requires(Capability.VIEW_SCREENING_POLICY)
def policy(request: ClinicRequest) -> HttpResponse:
    """Prescribers change the policy; nurses and the clinic admin read it, with who may change
    it (issue 11.7)."""
    clinic = current_clinic(request)
    can_configure = allows(request.actor.roles, Capability.CONFIGURE_SCREENING)
    if request.method == "POST" and not can_configure:
        raise PermissionDenied
    today = clinic.local_today()
    posted = request.POST.get("family") if request.method == "POST" else None
    sections = []
    status = 200
    for family in Family:
        ruleset = ruleset_for(family, today)
        data = request.POST if posted == family.value else None
        form = PolicyForm(data, ruleset=ruleset, policy=policy_for(clinic, ruleset))
        if data is not None:
            status = 422
            if form.is_valid():
                values = form.cleaned_data
                try:
                    set_policy(
                        actor=request.actor,
                        clinic=clinic,
                        ruleset=ruleset,
                        bp_systolic_max_mmhg=values["bp_systolic_max_mmhg"],
                        bp_diastolic_max_mmhg=values["bp_diastolic_max_mmhg"],
                        home_programme=values.get("home_programme", False),
                        rule_settings=form.rule_settings(),
                        reason=values["reason"],
                    )
                except (ScreeningPolicyError, ScreeningForbiddenError) as error:
                    form.add_error(None, error.message)
                else:
                    label = ProtocolFamily(family.value).label
                    messages.success(request, f"Screening policy for {label} saved.")
                    return redirect("screening:policy")
        if not can_configure:
            for field in form.fields.values():
                field.disabled = True
        sections.append(
            {"label": ProtocolFamily(family.value).label, "ruleset": ruleset, "form": form}
        )
    context = {
        "sections": sections,
        "can_configure": can_configure,
        "configurers": list_holders_of(clinic, roles_with(Capability.CONFIGURE_SCREENING)),
    }
    return render(request, "screening/policy.html", context, status=status)
