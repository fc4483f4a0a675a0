"""Questionnaire responses: their services, one-time links, the answering pages."""
