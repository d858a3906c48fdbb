/** Job status vocabulary: display order, colours and what an operator may do in each state. */

export const JOB_STATUSES = [
  "queued",
  "scheduled",
  "running",
  "retrying",
  "succeeded",
  "dead",
  "cancelled",
] as const;

export type JobStatus = (typeof JOB_STATUSES)[number];

export type Tone = "neutral" | "info" | "active" | "warning" | "success" | "danger" | "muted";

const TONE_BY_STATUS: Record<JobStatus, Tone> = {
  queued: "neutral",
  scheduled: "info",
  running: "active",
  retrying: "warning",
  succeeded: "success",
  dead: "danger",
  cancelled: "muted",
};

const CANCELLABLE: ReadonlySet<string> = new Set(["queued", "scheduled", "retrying", "running"]);
const FINISHED: ReadonlySet<string> = new Set(["succeeded", "dead", "cancelled"]);

/** The colour family a status is drawn in; unknown statuses are neutral. */
export function statusTone(status: string): Tone {
  return (TONE_BY_STATUS as Record<string, Tone>)[status] ?? "neutral";
}

/** CSS colour for a status (a custom property, so dark mode switches it). */
export function statusColor(status: string): string {
  return `var(--tone-${statusTone(status)})`;
}

/** Whether the API accepts a cancel for a job in this status. */
export function isCancellable(status: string): boolean {
  return CANCELLABLE.has(status);
}

/** Whether the job has reached a final state and will not change again on its own. */
export function isFinished(status: string): boolean {
  return FINISHED.has(status);
}

/** Whether a string is one of the known statuses (for parsing URL filters). */
export function isJobStatus(value: string | null | undefined): value is JobStatus {
  return value !== null && value !== undefined && (JOB_STATUSES as readonly string[]).includes(value);
}

/** Attempt outcome colour for the job history table. */
export function outcomeTone(outcome: string | null | undefined): Tone {
  switch (outcome) {
    case "succeeded":
      return "success";
    case "failed":
    case "timeout":
    case "lost":
      return "danger";
    case "cancelled":
      return "muted";
    default:
      return "active";
  }
}
