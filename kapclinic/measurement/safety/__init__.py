"""Safety tasks: the clinical to-dos alerts raise, their escalation job and pages."""
