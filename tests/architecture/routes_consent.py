"""One real request per consent route, for the route-by-role tests."""

from __future__ import annotations

from tests.architecture.routing import Call, World


def consent_routes(world: World) -> dict[str, Call]:
    return {}
