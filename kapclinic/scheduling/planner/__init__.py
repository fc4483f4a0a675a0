"""The course planner (issue 13.3): pure, plain values in and out (``propose``, ``plan_batch``)."""
