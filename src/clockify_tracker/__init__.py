"""clockify-tracker: Clockify webhook audit, reports and scheduled automations."""
