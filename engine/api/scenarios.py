"""Door: the studio's scenario tests, safe-deploy preview and migration, and where requests wait."""

from __future__ import annotations

from engine import migration, migration_apply, scenarios, waiting
from engine.migration import Preview, Verdict
from engine.migration_apply import BatchView, MigrationOutcome
from engine.scenarios import STATUS_LABELS as SCENARIO_STATUS_LABELS
from engine.scenarios import BadCase, Case, Result
from engine.scenarios import Step as ScenarioStep
from engine.waiting import KIND_LABELS as WAITING_KIND_LABELS
from engine.waiting import ElementFigures, PathStep

__all__ = [
    "SCENARIO_STATUS_LABELS",
    "WAITING_KIND_LABELS",
    "BadCase",
    "BatchView",
    "Case",
    "ElementFigures",
    "MigrationOutcome",
    "PathStep",
    "Preview",
    "Result",
    "ScenarioStep",
    "Verdict",
    "case_from_dict",
    "case_to_dict",
    "cases_from_file",
    "delete_case",
    "element_figures",
    "find_request",
    "human_duration",
    "migrate_requests",
    "migration_batches",
    "migration_preview_draft",
    "migration_preview_version",
    "request_path",
    "run_cases",
    "save_case",
    "stored_cases",
    "undo_migration",
]

case_from_dict = scenarios.case_from_dict
case_to_dict = scenarios.case_to_dict
cases_from_file = scenarios.cases_from_file
stored_cases = scenarios.stored_cases
save_case = scenarios.save_case
delete_case = scenarios.delete_case
run_cases = scenarios.run_cases
migration_preview_version = migration.preview_version
migration_preview_draft = migration.preview_draft

migrate_requests = migration_apply.migrate
undo_migration = migration_apply.undo
migration_batches = migration_apply.batches
element_figures = waiting.element_figures
request_path = waiting.request_path
find_request = waiting.find_request
human_duration = waiting.human_duration
