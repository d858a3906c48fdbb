import { describe, expect, it } from "vitest";
import { examplePayload, parseJsonObject, prettyJson } from "./json";

describe("parseJsonObject", () => {
  it("accepts objects and treats blank as {}", () => {
    expect(parseJsonObject('{"seconds": 2}')).toEqual({ ok: true, value: { seconds: 2 } });
    expect(parseJsonObject("  ")).toEqual({ ok: true, value: {} });
  });

  it("explains invalid JSON", () => {
    const result = parseJsonObject("{seconds: 2}");
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(/^Invalid JSON/);
  });

  it.each(["[1, 2]", "42", '"text"', "null", "true"])("rejects non-object %s", (text) => {
    const result = parseJsonObject(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(/must be a JSON object/);
  });
});

describe("prettyJson", () => {
  it("indents by two and leaves undefined empty", () => {
    expect(prettyJson({ a: [1] })).toBe('{\n  "a": [\n    1\n  ]\n}');
    expect(prettyJson(null)).toBe("null");
    expect(prettyJson(undefined)).toBe("");
  });
});

describe("examplePayload", () => {
  it("knows the built-in task types and defaults to {}", () => {
    expect(JSON.parse(examplePayload("sleep"))).toEqual({ seconds: 2 });
    expect(JSON.parse(examplePayload("flaky"))).toEqual({ fail_times: 2 });
    expect(examplePayload("custom")).toBe("{}");
  });
});
