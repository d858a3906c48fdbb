import { describe, expect, it } from "vitest";
import { formatClock, formatCount, formatDurationMs, formatDurationS, formatRate, formatRelative, formatTimestamp, secondsBetween, shortId } from "./format";

describe("formatDurationS", () => {
  it.each([
    [0, "0 ms"],
    [0.35, "350 ms"],
    [1, "1 s"],
    [4.25, "4.3 s"],
    [12.4, "12 s"],
    [60, "1m"],
    [192, "3m 12s"],
    [3600, "1h"],
    [7500, "2h 5m"],
    [86400 * 3 + 3600 * 4, "3d 4h"],
  ])("%s s → %s", (input, expected) => {
    expect(formatDurationS(input)).toBe(expected);
  });

  it("shows a dash for missing or non-finite values", () => {
    expect(formatDurationS(null)).toBe("—");
    expect(formatDurationS(undefined)).toBe("—");
    expect(formatDurationS(Number.NaN)).toBe("—");
  });

  it("clamps negative durations (clock skew) to zero", () => {
    expect(formatDurationS(-3)).toBe("0 ms");
  });
});

describe("formatDurationMs", () => {
  it("converts milliseconds", () => {
    expect(formatDurationMs(1500)).toBe("1.5 s");
    expect(formatDurationMs(12)).toBe("12 ms");
    expect(formatDurationMs(null)).toBe("—");
  });
});

describe("timestamps", () => {
  it("formats ISO strings in local time (UTC in tests)", () => {
    expect(formatTimestamp("2025-01-02T03:04:05Z")).toBe("2025-01-02 03:04:05");
    expect(formatTimestamp("2025-01-02T03:04:05.123+00:00")).toBe("2025-01-02 03:04:05");
    expect(formatClock("2025-01-02T23:59:09Z")).toBe("23:59:09");
  });

  it("shows a dash for null or garbage", () => {
    expect(formatTimestamp(null)).toBe("—");
    expect(formatTimestamp("not a date")).toBe("—");
    expect(formatClock(undefined)).toBe("");
  });

  it("says how long ago, or how far ahead", () => {
    const now = Date.parse("2025-01-02T03:05:00Z");
    expect(formatRelative("2025-01-02T03:04:48Z", now)).toBe("12 s ago");
    expect(formatRelative("2025-01-02T03:02:00Z", now)).toBe("3m ago");
    expect(formatRelative("2025-01-02T03:05:00.400Z", now)).toBe("just now");
    expect(formatRelative("2025-01-02T03:05:05Z", now)).toBe("in 5 s");
    expect(formatRelative(null, now)).toBe("—");
  });

  it("measures spans, open-ended spans against now", () => {
    const now = Date.parse("2025-01-02T03:05:00Z");
    expect(secondsBetween("2025-01-02T03:04:00Z", "2025-01-02T03:04:30Z", now)).toBe(30);
    expect(secondsBetween("2025-01-02T03:04:00Z", null, now)).toBe(60);
    expect(secondsBetween(null, null, now)).toBeNull();
  });
});

describe("counts and rates", () => {
  it("groups thousands and compacts millions", () => {
    expect(formatCount(0)).toBe("0");
    expect(formatCount(1234)).toBe("1,234");
    expect(formatCount(2_500_000)).toBe("2.5M");
    expect(formatCount(3_000_000)).toBe("3M");
    expect(formatCount(null)).toBe("—");
  });

  it("shows rates with one decimal under ten", () => {
    expect(formatRate(0)).toBe("0/s");
    expect(formatRate(0.33)).toBe("0.3/s");
    expect(formatRate(2)).toBe("2/s");
    expect(formatRate(1234.4)).toBe("1,234/s");
    expect(formatRate(undefined)).toBe("—");
  });
});

describe("shortId", () => {
  it("keeps the first UUID block and short ids whole", () => {
    expect(shortId("0b5f9c1e-7a4d-4c35-9a51-2f1f5e0b1c2d")).toBe("0b5f9c1e");
    expect(shortId("01a21e5e158fff4257db-0")).toBe("01a21e5e158fff4257db-0");
    expect(shortId("x".repeat(30))).toBe("x".repeat(12));
  });
});
