# syntax=docker/dockerfile:1
# One image, two roles: the default command serves the API (and the built UI); the worker runs
# with the command `python -m runtime.worker`. Exec-form commands so PID 1 (python) gets SIGTERM.

# ---- UI: build ui/dist ---------------------------------------------------------------------
FROM node:22.12-bookworm-slim AS ui
WORKDIR /ui
COPY ui/package.json ui/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY ui/ ./
RUN npm run build

# ---- runtime: slim, non-root Python ---------------------------------------------------------
FROM python:3.11.11-slim-bookworm AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HOST=0.0.0.0 \
    PORT=8000 \
    UI_DIST_DIR=/app/ui/dist
WORKDIR /app
COPY requirements.txt ./
RUN pip install --no-compile -r requirements.txt \
    && groupadd --system --gid 10001 dtq \
    && useradd --system --uid 10001 --gid dtq --no-create-home --shell /usr/sbin/nologin dtq
COPY runtime/ ./runtime/
COPY --from=ui /ui/dist ./ui/dist
USER 10001:10001
EXPOSE 8000
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('PORT', '8000')}/health/live\", timeout=2)"]
# Timeouts chain (infra/environments.py Timeouts): keep-alive 65 s > ALB idle 60 s; graceful 20 s.
CMD ["python", "-m", "uvicorn", "runtime.api.main:app", "--host", "0.0.0.0", "--port", "8000", \
     "--timeout-keep-alive", "65", "--timeout-graceful-shutdown", "20", \
     "--limit-concurrency", "1000"]
