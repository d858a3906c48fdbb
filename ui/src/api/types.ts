/**
 * Wire types, derived from the generated OpenAPI paths so a renamed schema or changed field in
 * the API breaks the build here instead of drifting silently.
 */
import type { paths } from "./schema.gen";

type JsonOf<R> = R extends { content: { "application/json": infer T } } ? T : never;
type Responses<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
  responses: infer R;
}
  ? R
  : never;
type Success<R> = R extends { 200: infer A } ? JsonOf<A> : R extends { 201: infer B } ? JsonOf<B> : R extends { 202: infer C } ? JsonOf<C> : never;
type Body<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
  requestBody?: { content: { "application/json": infer T } };
}
  ? T
  : never;

/** The 200/201/202 JSON body of an operation. */
export type ResponseOf<P extends keyof paths, M extends keyof paths[P]> = Success<Responses<P, M>>;
/** The JSON request body of an operation. */
export type RequestOf<P extends keyof paths, M extends keyof paths[P]> = Body<P, M>;

export type JobPage = ResponseOf<"/jobs", "get">;
export type Job = JobPage["items"][number];
export type JobDetail = ResponseOf<"/jobs/{job_id}", "get">;
export type Attempt = JobDetail["history"][number];
export type JobCreate = RequestOf<"/jobs", "post">;
export type DeadLetterPage = ResponseOf<"/dlq", "get">;
export type ReplayMany = ResponseOf<"/dlq/replay", "post">;
export type PurgeResult = ResponseOf<"/dlq", "delete">;
export type TaskList = ResponseOf<"/tasks", "get">;
export type Task = TaskList["items"][number];
export type WorkerList = ResponseOf<"/workers", "get">;
export type Worker = WorkerList["items"][number];
export type Metrics = ResponseOf<"/metrics", "get">;
export type Timeseries = ResponseOf<"/metrics/timeseries", "get">;
export type TimeseriesPoint = Timeseries["points"][number];
export type Info = ResponseOf<"/info", "get">;
export type GenerateJobs = RequestOf<"/dev/generate-jobs", "post">;
export type GenerateJobsResult = ResponseOf<"/dev/generate-jobs", "post">;
