"""Deadlines of the agents' tasks: reminder, escalation (BPMN service operations) and the daily digest."""
