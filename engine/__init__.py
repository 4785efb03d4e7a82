"""Generic BPMN runtime on SpiffWorkflow and SQLAlchemy; knows nothing of cases."""
