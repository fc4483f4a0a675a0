"""Outcomes: the course rules, the outcome graph and its summary, the clinic list, pages."""
