"""Task handlers: the @task registry (shared by the API, which validates task types, and the
worker, which runs them) and the built-in tasks."""

from runtime.tasks.registry import REGISTRY, JobContext, Registry, TaskSpec, task

__all__ = ["REGISTRY", "JobContext", "Registry", "TaskSpec", "task"]
