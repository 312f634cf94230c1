"""Guichet's embedded BPMN engine: the only door to SpiffWorkflow. Knows nothing of Flask."""
