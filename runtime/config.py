"""Settings: every environment variable of the runtime, typed, defaulted, units in the name."""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Environment = Literal["development", "test", "staging", "production"]


class Settings(BaseSettings):
    """Every runtime knob, read from the environment (names as in .env.example) at process start."""

    model_config = SettingsConfigDict(env_file=".env", frozen=True, extra="ignore")

    # --- where the queue lives ------------------------------------------------------------
    redis_url: str = "redis://127.0.0.1:6379/0"  # redis:// or rediss:// (TLS)
    # REDIS_URL names one node of a Redis Cluster (ElastiCache cluster mode: the configuration
    # endpoint); the client discovers the others, follows MOVED/ASK and rides out failovers
    redis_cluster: bool = False
    redis_failover_retry_ms: int = Field(5_000, ge=0)  # cluster: retry a lost node this long
    redis_password: str | None = None  # AUTH token; kept apart from the URL so logs never show it
    redis_ca_cert: str | None = None  # path of a CA bundle for rediss:// servers
    redis_timeout_ms: int = Field(1_000, gt=0)  # socket timeout of every non-blocking command
    queue_prefix: str = Field("dtq", pattern=r"^[A-Za-z0-9_.-]{1,32}$")  # first part of every key
    job_stream: str = Field("jobs", pattern=r"^[A-Za-z0-9_.-]{1,64}$")  # name of the job streams
    dlq_stream: str = Field("dead", pattern=r"^[A-Za-z0-9_.-]{1,64}$")  # name of the DLQ streams
    shards: int = Field(1, ge=1, le=256)  # streams one queue is spread over; never lower it live
    wait_replicas: int = Field(0, ge=0)  # WAIT for this many replicas before answering 201
    wait_timeout_ms: int = Field(50, ge=0)  # how long that WAIT may take

    # --- retries, timeouts, retention --------------------------------------------------------
    max_retries: int = Field(3, ge=0, le=100)  # retries after the first attempt
    initial_backoff_ms: int = Field(1_000, ge=0)  # first retry waits about this long
    max_backoff_ms: int = Field(60_000, ge=0)  # backoff ceiling
    job_timeout_s: float = Field(300.0, gt=0)  # default per-attempt time limit
    result_ttl_s: int = Field(86_400, gt=0)  # succeeded/cancelled jobs are kept this long
    max_deliveries: int = Field(10, ge=1)  # crash-loop fuse: deliveries before dead-lettering

    # --- worker --------------------------------------------------------------------------
    worker_concurrency: int = Field(32, ge=1, le=10_000)  # jobs one worker runs at once
    worker_batch_size: int = Field(100, ge=1, le=1_000)  # entries per XREADGROUP
    worker_block_ms: int = Field(1_000, ge=1, le=2_000)  # blocking read; short so stop is quick
    worker_shutdown_grace_s: float = Field(10.0, ge=0)  # SIGTERM: in-flight jobs get this long
    visibility_timeout_ms: int = Field(30_000, gt=0)  # un-renewed longer → another worker reclaims
    reclaim_interval_ms: int = Field(1_000, gt=0)  # how often a worker sweeps for stalled entries
    heartbeat_interval_ms: int = Field(2_000, gt=0)  # worker heartbeat; the TTL is 3× this
    # every worker deletes consumers of the group that hold no pending entry and have been idle
    # CONSUMER_GC_IDLE_MS (those of crashed workers: each process reads under a new name);
    # one that still holds entries is never deleted. 0 = no sweep (consumers pile up)
    consumer_gc_interval_s: float = Field(60.0, ge=0)
    consumer_gc_idle_ms: int = Field(3_600_000, ge=0)
    task_modules: str = ""  # comma-separated modules to import for @task handlers
    # consumer name; default host-pid-random (unique per process)
    worker_name: str | None = Field(None, pattern=r"^[A-Za-z0-9_.:-]{1,100}$")

    # --- API -----------------------------------------------------------------------------
    environment: Environment = "development"
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65_535)
    frontend_origin: str = ""  # extra CORS origin (e.g. the Vite dev server); "" = same origin only
    max_payload_bytes: int = Field(262_144, gt=0)  # request bodies above this → 413
    max_batch_size: int = Field(1_000, ge=1, le=10_000)  # jobs per POST /jobs/batch
    max_batch_bytes: int = Field(8_388_608, gt=0)  # body limit of POST /jobs/batch → 413
    api_drain_delay_s: float = Field(
        0.0, ge=0, le=120
    )  # SIGTERM: answer 503 on ready this long first
    idempotency_ttl_s: int = Field(86_400, gt=0)  # how long an Idempotency-Key is remembered
    ui_dist_dir: str = "ui/dist"  # built dashboard served at / when the folder exists
    api_keys: str = ""  # comma-separated `sha256:<hex>:<role>[:<tenant>]`; "" = no auth (dev only)
    rate_limit_per_s: float = Field(0.0, ge=0)  # requests per second per API key; 0 = unlimited
    rate_limit_burst: int = Field(100, ge=1)  # requests a key may send at once above the rate

    # --- observability -------------------------------------------------------------------
    log_format: Literal["json", "text"] = "json"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    emf_metrics: bool = False  # print CloudWatch Embedded Metric Format lines (on AWS)
    emf_interval_s: float = Field(60.0, gt=0)  # how often those lines are printed
    emf_namespace: str = "DTQ"

    @field_validator("redis_url")
    @classmethod
    def _check_redis_url(cls, value: str) -> str:
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @model_validator(mode="after")
    def _check_backoff(self) -> Settings:
        if self.max_backoff_ms < self.initial_backoff_ms:
            raise ValueError("MAX_BACKOFF_MS must be >= INITIAL_BACKOFF_MS")
        return self

    @model_validator(mode="after")
    def _check_cluster_url(self) -> Settings:
        if self.redis_cluster and (
            self.redis_url.startswith("unix://")
            or urlsplit(self.redis_url).path not in ("", "/", "/0")
        ):
            raise ValueError("REDIS_CLUSTER needs a redis:// or rediss:// URL of database 0")
        return self

    @property
    def is_production(self) -> bool:
        """Whether the dev-only routes and docs are hidden."""
        return self.environment == "production"

    @property
    def task_module_names(self) -> list[str]:
        """TASK_MODULES split into module names."""
        return [name.strip() for name in self.task_modules.split(",") if name.strip()]


def load_settings() -> Settings:
    """Settings from the environment; on a bad value, exit naming each variable and the problem."""
    from pydantic import ValidationError

    try:
        return Settings()
    except ValidationError as exc:
        lines = [
            f"  {'.'.join(str(p) for p in err['loc']).upper() or 'SETTINGS'}: {err['msg']}"
            for err in exc.errors()
        ]
        raise SystemExit("invalid configuration:\n" + "\n".join(lines)) from None
