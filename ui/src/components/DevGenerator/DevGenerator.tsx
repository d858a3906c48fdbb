import { useState, type FormEvent } from "react";
import { Link } from "react-router";
import type { GenerateJobs, GenerateJobsResult, Task } from "../../api/types";
import { parseJsonObject } from "../../lib/json";
import { parseOptionalNumber } from "../../lib/jobForm";
import { shortId } from "../../lib/format";
import { ErrorState } from "../ErrorState/ErrorState";
import { Field } from "../Field/Field";

interface DevGeneratorProps {
  tasks: readonly Task[];
  onGenerate: (request: GenerateJobs) => void;
  isPending: boolean;
  result: GenerateJobsResult | undefined;
  error: unknown;
}

/** The form for /dev/generate-jobs: many jobs at once (the page shows it only with dev routes). */
export function DevGenerator({ tasks, onGenerate, isPending, result, error }: DevGeneratorProps) {
  const [count, setCount] = useState("100");
  const [taskType, setTaskType] = useState("");
  const [prefix, setPrefix] = useState("");
  const [template, setTemplate] = useState("");
  const chosenType = taskType || (tasks.some((t) => t.name === "synthetic") ? "synthetic" : tasks[0]?.name) || "";
  const parsedCount = parseOptionalNumber(count, { integer: true, min: 1, max: 100_000 });
  const parsedTemplate = parseJsonObject(template);
  const countError = typeof parsedCount === "number" ? null : parsedCount === undefined ? "Required." : parsedCount;
  const invalid = countError !== null || !parsedTemplate.ok || chosenType === "";

  function submit(event: FormEvent) {
    event.preventDefault();
    if (invalid || typeof parsedCount !== "number" || !parsedTemplate.ok) return;
    onGenerate({
      count: parsedCount,
      task_type: chosenType,
      partition_key_prefix: prefix.trim() || null,
      payload_template: parsedTemplate.value,
    });
  }

  return (
    <form className="panel form" onSubmit={submit} aria-labelledby="generator-title" data-testid="dev-generator">
      <h2 id="generator-title">
        Dev job generator <span className="badge tone-warning">dev only</span>
      </h2>
      <div className="form-row">
        <Field label="Count" error={countError}>
          <input id="gen-count" inputMode="numeric" value={count} onChange={(e) => setCount(e.target.value)} />
        </Field>
        <Field label="Task type">
          <select id="gen-task-type" value={chosenType} onChange={(e) => setTaskType(e.target.value)}>
            {tasks.map((t) => (
              <option key={t.name} value={t.name}>
                {t.name}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Partition key prefix">
          <input id="gen-prefix" value={prefix} onChange={(e) => setPrefix(e.target.value)} placeholder="none" spellCheck={false} />
        </Field>
      </div>
      <Field label="Payload template (JSON object, optional)" error={parsedTemplate.ok ? null : parsedTemplate.error}>
        <textarea id="gen-template" rows={2} value={template} onChange={(e) => setTemplate(e.target.value)} spellCheck={false} className="mono" />
      </Field>
      <div className="form-actions">
        <button type="submit" className="btn" disabled={invalid || isPending}>
          {isPending ? "Generating…" : "Generate jobs"}
        </button>
        {result && (
          <span role="status" className="muted">
            Queued {result.count} jobs
            {result.ids.length > 0 && (
              <>
                {" "}
                · first: <Link to={`/jobs/${encodeURIComponent(result.ids[0])}`}>{shortId(result.ids[0])}</Link>
              </>
            )}
          </span>
        )}
      </div>
      {error !== null && error !== undefined && <ErrorState error={error} inline />}
    </form>
  );
}
