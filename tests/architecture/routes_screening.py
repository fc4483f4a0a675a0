"""One real request per screening route, for the route-by-role tests."""

from __future__ import annotations

from tests.architecture.routing import Call, World


def screening_routes(world: World) -> dict[str, Call]:
    return {}
