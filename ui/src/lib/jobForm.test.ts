import { describe, expect, it } from "vitest";
import { draftToBody, parseOptionalNumber, type JobDraft } from "./jobForm";

const draft = (overrides: Partial<JobDraft> = {}): JobDraft => ({
  taskType: "sleep",
  payload: '{"seconds": 1}',
  partitionKey: "",
  maxRetries: "",
  timeoutS: "",
  delayMs: "",
  ...overrides,
});

describe("draftToBody", () => {
  it("leaves blank options out so task defaults apply", () => {
    expect(draftToBody(draft())).toEqual({ ok: true, body: { task_type: "sleep", payload: { seconds: 1 } } });
  });

  it("includes options that are set, trimmed and typed", () => {
    const result = draftToBody(draft({ partitionKey: " tenant-1 ", maxRetries: "0", timeoutS: "2.5", delayMs: "1000" }));
    expect(result).toEqual({
      ok: true,
      body: { task_type: "sleep", payload: { seconds: 1 }, partition_key: "tenant-1", max_retries: 0, timeout_s: 2.5, delay_ms: 1000 },
    });
  });

  it("collects every problem at once", () => {
    const result = draftToBody(draft({ taskType: "", payload: "[", maxRetries: "1.5", timeoutS: "0", delayMs: "soon" }));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(Object.keys(result.errors).sort()).toEqual(["delayMs", "maxRetries", "payload", "taskType", "timeoutS"]);
  });
});

describe("parseOptionalNumber", () => {
  const rule = { integer: true, min: 0, max: 10 };
  it("returns undefined for blank, the number when valid, a message otherwise", () => {
    expect(parseOptionalNumber(" ", rule)).toBeUndefined();
    expect(parseOptionalNumber("7", rule)).toBe(7);
    expect(parseOptionalNumber("x", rule)).toBe("Must be a number.");
    expect(parseOptionalNumber("2.5", rule)).toBe("Must be a whole number.");
    expect(parseOptionalNumber("11", rule)).toBe("Must be between 0 and 10.");
  });
});
