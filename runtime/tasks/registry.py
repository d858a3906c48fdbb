"""@task decorator and Registry: task name → handler with its retry and timeout defaults."""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from runtime.jobs import JobRequest

Handler = Callable[..., Any]
_T = TypeVar("_T")


@dataclass(slots=True)
class JobContext:
    """What a handler may learn about its job: id, attempt, and whether it should stop."""

    job_id: str
    attempt: int
    task_type: str
    # a plain flag: set on the event loop, read by handlers in any thread (one attribute store)
    _cancelled: bool = field(default=False, repr=False)
    _timed_out: bool = field(default=False, repr=False)

    def is_cancelled(self) -> bool:
        """True once a cancel was requested: long handlers should check it and return early."""
        return self._cancelled

    def is_timed_out(self) -> bool:
        """True once the attempt ran past its timeout (the worker then stops waiting for it)."""
        return self._timed_out

    def mark_timed_out(self) -> None:
        """Record that the attempt ran past its timeout (called by the worker)."""
        self._timed_out = True

    def request_cancel(self) -> None:
        """Mark the job cancelled (called by the worker when the cancel request arrives)."""
        self._cancelled = True


@dataclass(frozen=True, slots=True)
class TaskSpec:
    """A registered task type: its handler and the defaults that jobs may override."""

    name: str
    handler: Handler
    timeout_s: float | None = None
    max_retries: int | None = None
    initial_backoff_ms: int | None = None
    max_backoff_ms: int | None = None
    description: str = ""
    is_async: bool = False
    wants_context: bool = False

    # whether the task sets any job default (else resolving a request changes nothing)
    has_defaults: bool = dataclasses.field(init=False, default=False)

    def __post_init__(self) -> None:
        defaults = (self.timeout_s, self.max_retries, self.initial_backoff_ms, self.max_backoff_ms)
        object.__setattr__(self, "has_defaults", any(v is not None for v in defaults))


class Registry:
    """Task name → TaskSpec; built once per process before serving or working."""

    def __init__(self) -> None:
        self._specs: dict[str, TaskSpec] = {}

    def task(
        self,
        name: str,
        *,
        timeout_s: float | None = None,
        max_retries: int | None = None,
        initial_backoff_ms: int | None = None,
        max_backoff_ms: int | None = None,
    ) -> Callable[[Handler], Handler]:
        """Register `handler(payload)` or `handler(payload, ctx)`, sync or async, under `name`."""

        def register(handler: Handler) -> Handler:
            if name in self._specs and self._specs[name].handler is not handler:
                raise ValueError(f"task type {name!r} is registered twice")
            params = inspect.signature(handler).parameters
            self._specs[name] = TaskSpec(
                name=name,
                handler=handler,
                timeout_s=timeout_s,
                max_retries=max_retries,
                initial_backoff_ms=initial_backoff_ms,
                max_backoff_ms=max_backoff_ms,
                description=(inspect.getdoc(handler) or "").split("\n")[0],
                is_async=asyncio.iscoroutinefunction(handler),
                wants_context=len(params) >= 2,
            )
            return handler

        return register

    def resolve(self, request: JobRequest) -> JobRequest:
        """The request with the task's defaults filled in where the job sets none."""
        spec = self._specs.get(request.task_type)
        if spec is None or not spec.has_defaults:
            return request  # nothing to fill in: no copy (this runs once per enqueued job)
        return dataclasses.replace(
            request,
            max_retries=_first(request.max_retries, spec.max_retries),
            timeout_s=_first(request.timeout_s, spec.timeout_s),
            initial_backoff_ms=_first(request.initial_backoff_ms, spec.initial_backoff_ms),
            max_backoff_ms=_first(request.max_backoff_ms, spec.max_backoff_ms),
        )

    def get(self, name: str) -> TaskSpec | None:
        """The spec registered under `name`, if any."""
        return self._specs.get(name)

    def names(self) -> list[str]:
        """Every registered task type, sorted."""
        return sorted(self._specs)

    def specs(self) -> list[TaskSpec]:
        """Every registered spec, sorted by name."""
        return [self._specs[n] for n in self.names()]


def _first(job_value: _T | None, task_value: _T | None) -> _T | None:
    return job_value if job_value is not None else task_value


REGISTRY = Registry()
task = REGISTRY.task


def load_task_modules(names: Iterable[str]) -> None:
    """Import the built-ins and every module named in TASK_MODULES, so their @task calls run."""
    importlib.import_module("runtime.tasks.builtins")
    for name in names:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            raise ImportError(
                f"TASK_MODULES names {name!r}, which cannot be imported: {exc}"
            ) from exc
