"""Automations: organizations' scripts on cron schedules, dispatched by beat, run by workers."""
