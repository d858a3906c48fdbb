/** Query keys, queryOptions and polling intervals per resource, plus the mutations that change them. */
import { queryOptions } from "@tanstack/react-query";
import { apiFetch } from "./client";
import type {
  DeadLetterPage,
  GenerateJobs,
  GenerateJobsResult,
  Info,
  Job,
  JobCreate,
  JobDetail,
  JobPage,
  Metrics,
  PurgeResult,
  ReplayMany,
  TaskList,
  Timeseries,
  WorkerList,
} from "./types";
import { isFinished } from "../lib/status";

/** How often each view refreshes while it is on screen. */
export const POLL_MS = {
  overview: 2_000,
  workers: 2_000,
  jobs: 3_000,
  job: 1_000,
  deadLetters: 3_000,
  info: 10_000,
} as const;

export const PAGE_SIZE = 50;
export const TIMESERIES_WINDOW_S = 600;

export interface JobFilters {
  status?: string;
  task_type?: string;
  partition_key?: string;
}

export const queryKeys = {
  all: ["dtq"] as const,
  metrics: () => ["dtq", "metrics"] as const,
  timeseries: (windowS: number) => ["dtq", "metrics", "timeseries", windowS] as const,
  workers: () => ["dtq", "workers"] as const,
  info: () => ["dtq", "info"] as const,
  tasks: () => ["dtq", "tasks"] as const,
  jobs: () => ["dtq", "jobs"] as const,
  jobList: (filters: JobFilters, cursor: string | null) => ["dtq", "jobs", "list", filters, cursor] as const,
  job: (id: string) => ["dtq", "jobs", "detail", id] as const,
  deadLetters: () => ["dtq", "dlq"] as const,
  deadLetterPage: (cursor: string | null) => ["dtq", "dlq", cursor] as const,
};

export const metricsQuery = () =>
  queryOptions({
    queryKey: queryKeys.metrics(),
    queryFn: ({ signal }) => apiFetch<Metrics>("/metrics", { signal }),
    refetchInterval: POLL_MS.overview,
  });

export const timeseriesQuery = (windowS: number = TIMESERIES_WINDOW_S) =>
  queryOptions({
    queryKey: queryKeys.timeseries(windowS),
    queryFn: ({ signal }) => apiFetch<Timeseries>("/metrics/timeseries", { query: { window_s: windowS }, signal }),
    refetchInterval: POLL_MS.overview,
  });

export const workersQuery = () =>
  queryOptions({
    queryKey: queryKeys.workers(),
    queryFn: ({ signal }) => apiFetch<WorkerList>("/workers", { signal }),
    refetchInterval: POLL_MS.workers,
  });

export const infoQuery = () =>
  queryOptions({
    queryKey: queryKeys.info(),
    queryFn: ({ signal }) => apiFetch<Info>("/info", { signal }),
    refetchInterval: POLL_MS.info,
    staleTime: POLL_MS.info,
  });

export const tasksQuery = () =>
  queryOptions({
    queryKey: queryKeys.tasks(),
    queryFn: ({ signal }) => apiFetch<TaskList>("/tasks", { signal }),
    staleTime: 60_000,
  });

export const jobListQuery = (filters: JobFilters, cursor: string | null, limit: number = PAGE_SIZE) =>
  queryOptions({
    queryKey: queryKeys.jobList(filters, cursor),
    queryFn: ({ signal }) => apiFetch<JobPage>("/jobs", { query: { ...filters, limit, cursor }, signal }),
    refetchInterval: POLL_MS.jobs,
    placeholderData: (previous) => previous,
  });

export const jobQuery = (id: string) =>
  queryOptions({
    queryKey: queryKeys.job(id),
    queryFn: ({ signal }) => apiFetch<JobDetail>(`/jobs/${encodeURIComponent(id)}`, { signal }),
    // a finished job never changes on its own; one still moving is followed closely
    refetchInterval: (query) => (query.state.data && isFinished(query.state.data.status) ? false : POLL_MS.job),
  });

export const deadLetterQuery = (cursor: string | null, limit: number = PAGE_SIZE) =>
  queryOptions({
    queryKey: queryKeys.deadLetterPage(cursor),
    queryFn: ({ signal }) => apiFetch<DeadLetterPage>("/dlq", { query: { limit, cursor }, signal }),
    refetchInterval: POLL_MS.deadLetters,
    placeholderData: (previous) => previous,
  });

/** POST /jobs; the idempotency key, when given, makes a double submit create one job. */
export function createJob(body: JobCreate, idempotencyKey?: string): Promise<Job> {
  const headers: Record<string, string> = idempotencyKey ? { "Idempotency-Key": idempotencyKey } : {};
  return apiFetch<Job>("/jobs", { method: "POST", body, headers });
}

export function cancelJob(id: string): Promise<Job> {
  return apiFetch<Job>(`/jobs/${encodeURIComponent(id)}/cancel`, { method: "POST" });
}

export function replayDeadLetter(id: string): Promise<Job> {
  return apiFetch<Job>(`/dlq/${encodeURIComponent(id)}/replay`, { method: "POST" });
}

export function replayDeadLetters(ids: string[]): Promise<ReplayMany> {
  return apiFetch<ReplayMany>("/dlq/replay", { method: "POST", body: { ids } });
}

export function purgeDeadLetters(): Promise<PurgeResult> {
  return apiFetch<PurgeResult>("/dlq", { method: "DELETE" });
}

export function generateJobs(body: GenerateJobs): Promise<GenerateJobsResult> {
  return apiFetch<GenerateJobsResult>("/dev/generate-jobs", { method: "POST", body });
}
