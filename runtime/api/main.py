"""`uvicorn runtime.api.main:app`: the API process, configured from the environment."""

from __future__ import annotations

from runtime.api.app import create_app
from runtime.config import load_settings
from runtime.logs import configure_logging
from runtime.tasks.registry import load_task_modules

settings = load_settings()
configure_logging(settings)
load_task_modules(settings.task_module_names)
app = create_app(settings)
