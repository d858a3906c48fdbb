import { useState, type FormEvent } from "react";
import { useNavigate } from "react-router";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { createJob, generateJobs, infoQuery, queryKeys, tasksQuery } from "../api/queries";
import { DevGenerator } from "../components/DevGenerator/DevGenerator";
import { ErrorState } from "../components/ErrorState/ErrorState";
import { Field } from "../components/Field/Field";
import { Loading } from "../components/Placeholder/Placeholder";
import { examplePayload } from "../lib/json";
import { draftToBody, type JobDraft } from "../lib/jobForm";
import { formatDurationS } from "../lib/format";
import type { Task } from "../api/types";

const EMPTY_DRAFT: JobDraft = { taskType: "", payload: "{}", partitionKey: "", maxRetries: "", timeoutS: "", delayMs: "" };

/** Create one job from a registered task type; in dev, also the bulk job generator. */
export function NewJobPage() {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const tasks = useQuery(tasksQuery());
  const info = useQuery(infoQuery());
  const [draft, setDraft] = useState<JobDraft>(EMPTY_DRAFT);
  const [payloadEdited, setPayloadEdited] = useState(false);
  const [idempotencyKey, setIdempotencyKey] = useState("");
  const [submitted, setSubmitted] = useState(false);
  const taskList = tasks.data?.items ?? [];
  const taskType = draft.taskType || taskList[0]?.name || "";
  const effective: JobDraft = { ...draft, taskType, payload: payloadEdited ? draft.payload : examplePayload(taskType) };
  const result = draftToBody(effective);
  const errors = result.ok ? {} : result.errors;
  const task = taskList.find((t) => t.name === taskType);

  const create = useMutation({
    mutationFn: () => {
      if (!result.ok) throw new Error("invalid form");
      return createJob(result.body, idempotencyKey.trim() || undefined);
    },
    onSuccess: (job) => {
      void queryClient.invalidateQueries({ queryKey: queryKeys.all });
      navigate(`/jobs/${encodeURIComponent(job.id)}`);
    },
  });

  const generate = useMutation({
    mutationFn: generateJobs,
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: queryKeys.all }),
  });

  function update(key: keyof JobDraft, value: string) {
    // until the payload is edited it follows the chosen task type's example
    if (key === "payload") setPayloadEdited(true);
    setDraft((d) => ({ ...d, [key]: value }));
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    setSubmitted(true);
    if (result.ok) create.mutate();
  }

  const show = (key: keyof JobDraft) => (submitted || key === "payload" ? errors[key] : undefined);
  return (
    <section className="page" aria-labelledby="new-title">
      <div className="page-head">
        <h1 id="new-title">New job</h1>
      </div>
      {tasks.error && <ErrorState error={tasks.error} onRetry={() => void tasks.refetch()} />}
      {tasks.isPending && <Loading label="Loading task types…" />}
      {tasks.data && (
        <form className="panel form" onSubmit={submit} noValidate aria-labelledby="new-title">
          <div className="form-row">
            <Field label="Task type" hint={task ? describeTask(task) : undefined} error={show("taskType")}>
              <select id="task-type" value={taskType} onChange={(e) => update("taskType", e.target.value)}>
                {taskList.map((t) => (
                  <option key={t.name} value={t.name}>
                    {t.name}
                  </option>
                ))}
              </select>
            </Field>
            <Field label="Partition key" hint="jobs sharing a key run one at a time, in order" error={show("partitionKey")}>
              <input id="partition-key" value={draft.partitionKey} onChange={(e) => update("partitionKey", e.target.value)} placeholder="none" spellCheck={false} />
            </Field>
          </div>
          <Field label="Payload (JSON object)" error={show("payload")}>
            <textarea id="payload" className="mono" rows={6} value={effective.payload} onChange={(e) => update("payload", e.target.value)} spellCheck={false} />
          </Field>
          <div className="form-row">
            <Field label="Max retries" hint={`default: ${task?.max_retries ?? "the queue's"}`} error={show("maxRetries")}>
              <input id="max-retries" inputMode="numeric" value={draft.maxRetries} onChange={(e) => update("maxRetries", e.target.value)} placeholder={task?.max_retries?.toString() ?? ""} />
            </Field>
            <Field label="Timeout (s)" hint={`default: ${task?.timeout_s ?? "the queue's"}`} error={show("timeoutS")}>
              <input id="timeout-s" inputMode="decimal" value={draft.timeoutS} onChange={(e) => update("timeoutS", e.target.value)} placeholder={task?.timeout_s?.toString() ?? ""} />
            </Field>
            <Field label="Delay (ms)" hint="run no sooner than this" error={show("delayMs")}>
              <input id="delay-ms" inputMode="numeric" value={draft.delayMs} onChange={(e) => update("delayMs", e.target.value)} placeholder="0" />
            </Field>
            <Field label="Idempotency key" hint="same key → same job">
              <input id="idempotency-key" value={idempotencyKey} onChange={(e) => setIdempotencyKey(e.target.value)} placeholder="none" spellCheck={false} />
            </Field>
          </div>
          <div className="form-actions">
            <button type="submit" className="btn primary" disabled={create.isPending || (!result.ok && submitted)}>
              {create.isPending ? "Creating…" : "Create job"}
            </button>
          </div>
          {create.error && <ErrorState error={create.error} inline />}
        </form>
      )}
      {info.data?.dev_routes && tasks.data && (
        <DevGenerator tasks={taskList} onGenerate={(request) => generate.mutate(request)} isPending={generate.isPending} result={generate.data} error={generate.error} />
      )}
    </section>
  );
}

function describeTask(task: Task): string {
  const timeout = task.timeout_s === null ? "queue default timeout" : `timeout ${formatDurationS(task.timeout_s)}`;
  const retries = task.max_retries === null ? "queue default retries" : `${task.max_retries} retries`;
  return `${task.description || "no description"} · ${timeout} · ${retries}`;
}
