import { describe, expect, it } from "vitest";
import { JOB_STATUSES, isCancellable, isFinished, isJobStatus, outcomeTone, statusColor, statusTone } from "./status";

describe("status vocabulary", () => {
  it("gives every status its own tone", () => {
    const tones = JOB_STATUSES.map(statusTone);
    expect(new Set(tones).size).toBe(JOB_STATUSES.length);
    expect(statusTone("dead")).toBe("danger");
    expect(statusTone("succeeded")).toBe("success");
    expect(statusTone("something-new")).toBe("neutral");
  });

  it("draws colours from custom properties so dark mode can switch them", () => {
    expect(statusColor("running")).toBe("var(--tone-active)");
  });

  it("allows cancel exactly while a job can still run", () => {
    expect(JOB_STATUSES.filter(isCancellable)).toEqual(["queued", "scheduled", "running", "retrying"]);
  });

  it("treats succeeded, dead and cancelled as final", () => {
    expect(JOB_STATUSES.filter(isFinished)).toEqual(["succeeded", "dead", "cancelled"]);
    for (const status of JOB_STATUSES) expect(isFinished(status)).toBe(!isCancellable(status));
  });

  it("recognises statuses from URLs", () => {
    expect(isJobStatus("dead")).toBe(true);
    expect(isJobStatus("DEAD")).toBe(false);
    expect(isJobStatus(null)).toBe(false);
  });

  it("colours attempt outcomes", () => {
    expect(outcomeTone("succeeded")).toBe("success");
    expect(outcomeTone("timeout")).toBe("danger");
    expect(outcomeTone("lost")).toBe("danger");
    expect(outcomeTone("cancelled")).toBe("muted");
    expect(outcomeTone(null)).toBe("active");
  });
});
