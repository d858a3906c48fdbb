/** Turn any thrown value into what an operator needs to read: a kind, a title and a hint. */
import { ApiError } from "../api/client";

export type ErrorKind = "unreachable" | "auth" | "rate-limited" | "unavailable" | "not-found" | "invalid" | "conflict" | "other";

export interface ErrorDescription {
  kind: ErrorKind;
  title: string;
  message: string;
}

/** Classify an error from a query or mutation for display. */
export function describeError(error: unknown): ErrorDescription {
  if (!(error instanceof ApiError)) {
    return { kind: "other", title: "Something went wrong", message: String((error as Error)?.message ?? error) };
  }
  switch (true) {
    case error.status === 0:
      return { kind: "unreachable", title: "API unreachable", message: "The dashboard cannot reach the DTQ API. It may be stopped or restarting; retrying automatically." };
    case error.status === 401:
      return { kind: "auth", title: "API key required", message: error.message };
    case error.status === 403:
      return { kind: "auth", title: "Not allowed with this API key", message: error.message };
    case error.status === 429:
      return { kind: "rate-limited", title: "Rate limited", message: error.retryAfterS === null ? error.message : `Too many requests; retry in ${error.retryAfterS} s.` };
    case error.status === 503:
      return { kind: "unavailable", title: "Service unavailable", message: `${error.message} (the queue store may be down).` };
    case error.status === 404:
      return { kind: "not-found", title: "Not found", message: error.message };
    case error.status === 409:
      return { kind: "conflict", title: "Conflict", message: error.message };
    case error.status === 400 || error.status === 422:
      return { kind: "invalid", title: "Rejected", message: error.message };
    default:
      return { kind: "other", title: `Error ${error.status}`, message: error.message };
  }
}

/** Whether a failed query is worth retrying automatically (client errors are not). */
export function isRetryable(error: unknown): boolean {
  if (!(error instanceof ApiError)) return true;
  return error.status === 0 || error.status === 429 || error.status >= 500;
}
