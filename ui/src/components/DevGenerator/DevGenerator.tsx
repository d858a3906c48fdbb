import { useState, type FormEvent } from "react";
import { Link } from "react-router";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { generateJobs, queryKeys } from "../../api/queries";
import type { Task } from "../../api/types";
import { parseJsonObject } from "../../lib/json";
import { parseOptionalNumber } from "../../lib/jobForm";
import { shortId } from "../../lib/format";
import { ErrorState } from "../ErrorState/ErrorState";
import { Field } from "../Field/Field";

/** Enqueue many jobs at once through /dev/generate-jobs (shown only when the API has dev routes). */
export function DevGenerator({ tasks }: { tasks: readonly Task[] }) {
  const queryClient = useQueryClient();
  const [count, setCount] = useState("100");
  const [taskType, setTaskType] = useState("");
  const [prefix, setPrefix] = useState("");
  const [template, setTemplate] = useState("");
  const chosenType = taskType || (tasks.some((t) => t.name === "synthetic") ? "synthetic" : tasks[0]?.name) || "";
  const parsedCount = parseOptionalNumber(count, { integer: true, min: 1, max: 100_000 });
  const parsedTemplate = parseJsonObject(template);
  const generate = useMutation({
    mutationFn: () =>
      generateJobs({
        count: parsedCount as number,
        task_type: chosenType,
        partition_key_prefix: prefix.trim() || null,
        payload_template: parsedTemplate.ok ? parsedTemplate.value : {},
      }),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: queryKeys.all }),
  });
  const countError = typeof parsedCount === "number" ? null : parsedCount === undefined ? "Required." : parsedCount;
  const invalid = countError !== null || !parsedTemplate.ok || chosenType === "";

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!invalid) generate.mutate();
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
        <button type="submit" className="btn" disabled={invalid || generate.isPending}>
          {generate.isPending ? "Generating…" : "Generate jobs"}
        </button>
        {generate.data && (
          <span role="status" className="muted">
            Queued {generate.data.count} jobs
            {generate.data.ids.length > 0 && (
              <>
                {" "}
                · first: <Link to={`/jobs/${encodeURIComponent(generate.data.ids[0])}`}>{shortId(generate.data.ids[0])}</Link>
              </>
            )}
          </span>
        )}
      </div>
      {generate.error && <ErrorState error={generate.error} inline />}
    </form>
  );
}
