import { describe, expect, it } from "vitest";
import { ApiError } from "../api/client";
import { describeError, isRetryable } from "./errors";

describe("describeError", () => {
  it.each([
    [new ApiError(0, "unreachable", "x"), "unreachable", "API unreachable"],
    [new ApiError(401, "unauthorized", "API key required"), "auth", "API key required"],
    [new ApiError(403, "Forbidden", "role read may not"), "auth", "Not allowed with this API key"],
    [new ApiError(503, "unavailable", "Redis is down"), "unavailable", "Service unavailable"],
    [new ApiError(404, "JobNotFound", "no job"), "not-found", "Not found"],
    [new ApiError(409, "JobAlreadyFinished", "finished"), "conflict", "Conflict"],
    [new ApiError(422, "UnknownTaskType", "known: noop"), "invalid", "Rejected"],
    [new ApiError(500, "boom", "oops"), "other", "Error 500"],
  ])("classifies %o", (error, kind, title) => {
    expect(describeError(error)).toMatchObject({ kind, title });
  });

  it("says when to retry after a 429", () => {
    expect(describeError(new ApiError(429, "rate_limited", "slow down", null, 3)).message).toBe("Too many requests; retry in 3 s.");
    expect(describeError(new ApiError(429, "rate_limited", "slow down")).message).toBe("slow down");
  });

  it("handles non-API errors", () => {
    expect(describeError(new Error("kaput"))).toEqual({ kind: "other", title: "Something went wrong", message: "kaput" });
  });
});

describe("isRetryable", () => {
  it("retries network, 429 and 5xx, not client errors", () => {
    expect(isRetryable(new ApiError(0, "unreachable", ""))).toBe(true);
    expect(isRetryable(new ApiError(429, "", ""))).toBe(true);
    expect(isRetryable(new ApiError(503, "", ""))).toBe(true);
    expect(isRetryable(new ApiError(401, "", ""))).toBe(false);
    expect(isRetryable(new ApiError(404, "", ""))).toBe(false);
    expect(isRetryable(new TypeError("x"))).toBe(true);
  });
});
