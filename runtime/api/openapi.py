"""`python -m runtime.api.openapi`: print the API's OpenAPI document (for the UI's types)."""

from __future__ import annotations

import sys

import orjson

from runtime.api.app import create_app
from runtime.config import Settings
from runtime.tasks.registry import load_task_modules

if __name__ == "__main__":
    load_task_modules([])
    app = create_app(Settings(environment="development", ui_dist_dir="/nonexistent"))
    sys.stdout.write(orjson.dumps(app.openapi(), option=orjson.OPT_INDENT_2).decode() + "\n")
