"""TaskQueueError and its subclasses: every failure the runtime names, and when it happens."""


class TaskQueueError(Exception):
    """Root of every error the runtime raises on purpose; callers catch this one type."""

    def __init__(self, message: str, details: object = None) -> None:
        super().__init__(message)
        self.details = details


class InvalidRequest(TaskQueueError):
    """Raised when a request is well-formed JSON but asks for something the queue cannot do."""


class UnknownTaskType(InvalidRequest):
    """Raised when a job names a task type that no handler is registered for."""


class InvalidCursor(TaskQueueError):
    """Raised when a pagination cursor was not issued by this API or was altered."""


class JobNotFound(TaskQueueError):
    """Raised when a job id has no record: never enqueued, purged, or its result expired."""


class JobAlreadyFinished(TaskQueueError):
    """Raised when cancelling or replaying a job whose state no longer allows it."""


class IdempotencyConflict(TaskQueueError):
    """Raised when an Idempotency-Key is reused with a different request body."""


class BrokerUnavailable(TaskQueueError):
    """Raised when Redis cannot be reached or refuses writes (down, failing over, out of memory)."""


class ReplicationTimeout(BrokerUnavailable):
    """Raised when fewer replicas than WAIT_REPLICAS acknowledged a new job within WAIT_TIMEOUT_MS:
    the job exists on the primary but may not survive a failover; a retry with the same
    Idempotency-Key returns it once a replica has it."""


class EmptyBrokerDetected(BrokerUnavailable):
    """Raised when the server lost its data (epoch key gone): running on would forget jobs."""


class PermanentError(TaskQueueError):
    """Raised by task code to fail a job at once, skipping its remaining attempts."""


class JobTimeout(TaskQueueError):
    """Raised inside the worker when an attempt runs past its timeout."""


class WorkerLost(TaskQueueError):
    """Recorded as an attempt's error when the worker running it stopped answering."""
