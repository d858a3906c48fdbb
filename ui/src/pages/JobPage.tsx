import { useState } from "react";
import { Link, useParams } from "react-router";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { cancelJob, jobQuery, queryKeys } from "../api/queries";
import type { Attempt, JobDetail } from "../api/types";
import { StatusBadge } from "../components/StatusBadge/StatusBadge";
import { JsonView } from "../components/JsonView/JsonView";
import { ConfirmDialog } from "../components/ConfirmDialog/ConfirmDialog";
import { ErrorState } from "../components/ErrorState/ErrorState";
import { EmptyState, Loading } from "../components/Placeholder/Placeholder";
import { formatDurationS, formatRelative, formatTimestamp, secondsBetween } from "../lib/format";
import { isCancellable, isFinished, outcomeTone } from "../lib/status";
import { describeError } from "../lib/errors";
import { useNow } from "../hooks/useNow";

/** One job: status, timings, payload, result, last error and every attempt; cancel while it can. */
export function JobPage() {
  const { id = "" } = useParams();
  const queryClient = useQueryClient();
  const job = useQuery(jobQuery(id));
  const nowMs = useNow();
  const [confirming, setConfirming] = useState(false);
  const cancel = useMutation({
    mutationFn: () => cancelJob(id),
    onSuccess: (updated) => {
      queryClient.setQueryData<JobDetail>(queryKeys.job(id), (old) => (old ? { ...old, ...updated, history: old.history } : old));
      void queryClient.invalidateQueries({ queryKey: queryKeys.all });
      setConfirming(false);
    },
    onError: () => setConfirming(false),
  });

  if (job.isPending) return <Loading label="Loading job…" />;
  if (!job.data) {
    const notFound = describeError(job.error).kind === "not-found";
    return (
      <section className="page">
        <Breadcrumb id={id} />
        {notFound ? <EmptyState title="Job not found">No job has the id <code>{id}</code>; it may never have existed or its record expired.</EmptyState> : <ErrorState error={job.error} onRetry={() => void job.refetch()} />}
      </section>
    );
  }

  const j = job.data;
  const canCancel = isCancellable(j.status) && !j.cancel_requested;
  return (
    <section className="page" aria-labelledby="job-title">
      <Breadcrumb id={id} />
      <div className="page-head">
        <h1 id="job-title" className="job-title">
          <span className="mono">{j.id}</span>
          <StatusBadge status={j.status} />
          {j.cancel_requested && !isFinished(j.status) && <span className="badge tone-warning">cancel requested</span>}
        </h1>
        {isCancellable(j.status) && (
          <button type="button" className="btn danger" onClick={() => setConfirming(true)} disabled={!canCancel || cancel.isPending}>
            {j.cancel_requested ? "Cancelling…" : "Cancel job"}
          </button>
        )}
      </div>
      {job.error && <ErrorState error={job.error} inline onRetry={() => void job.refetch()} />}
      {cancel.error && <ErrorState error={cancel.error} inline />}
      <dl className="meta-grid panel">
        <Meta label="Task type" value={j.task_type} />
        <Meta label="Attempts" value={`${j.attempts} of ${j.max_retries + 1}`} />
        <Meta label="Partition" value={j.partition_key ?? "—"} mono />
        <Meta label="Timeout" value={formatDurationS(j.timeout_s)} />
        <Meta label="Created" value={formatTimestamp(j.created_at)} hint={formatRelative(j.created_at, nowMs)} />
        <Meta label="Scheduled for" value={formatTimestamp(j.scheduled_for)} />
        <Meta label="Started" value={formatTimestamp(j.started_at)} />
        <Meta label="Finished" value={formatTimestamp(j.finished_at)} />
        <Meta label="Waited" value={formatDurationS(secondsBetween(j.created_at, j.started_at, nowMs))} />
        <Meta label="Ran" value={formatDurationS(secondsBetween(j.started_at, j.finished_at, nowMs))} />
        <Meta label="Updated" value={formatRelative(j.updated_at, nowMs)} />
      </dl>
      {j.last_error && (
        <div className="panel last-error">
          <h3>Last error</h3>
          <pre data-testid="last-error">{j.last_error}</pre>
        </div>
      )}
      <div className="two-col">
        <JsonView title="Payload" value={j.payload} testId="payload" />
        <JsonView title="Result" value={j.result} emptyText={isFinished(j.status) ? "no result" : "not finished yet"} testId="result" />
      </div>
      <div className="panel">
        <h3>Attempts</h3>
        <AttemptsTable history={j.history} nowMs={nowMs} />
      </div>
      <ConfirmDialog
        open={confirming}
        title="Cancel this job?"
        confirmLabel="Cancel job"
        cancelLabel="Keep job"
        danger
        busy={cancel.isPending}
        onConfirm={() => cancel.mutate()}
        onCancel={() => setConfirming(false)}
      >
        {j.status === "running" ? "The job is running: its handler is asked to stop and the job ends as cancelled." : "The job will not run."}
      </ConfirmDialog>
    </section>
  );
}

function Breadcrumb({ id }: { id: string }) {
  return (
    <nav className="breadcrumb" aria-label="Breadcrumb">
      <Link to="/jobs">Jobs</Link> / <span className="mono">{id}</span>
    </nav>
  );
}

function Meta({ label, value, hint, mono = false }: { label: string; value: string; hint?: string; mono?: boolean }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd className={mono ? "mono" : undefined}>
        {value}
        {hint && <span className="muted small"> · {hint}</span>}
      </dd>
    </div>
  );
}

function AttemptsTable({ history, nowMs }: { history: readonly Attempt[]; nowMs: number }) {
  if (history.length === 0) return <p className="muted">No attempts yet.</p>;
  return (
    <div className="table-wrap">
      <table className="table" data-testid="attempts-table">
        <thead>
          <tr>
            <th className="num">#</th>
            <th>Worker</th>
            <th>Started</th>
            <th>Finished</th>
            <th className="num">Took</th>
            <th>Outcome</th>
            <th>Error</th>
          </tr>
        </thead>
        <tbody>
          {history.map((a) => (
            <tr key={`${a.attempt}-${a.started_at}`}>
              <td className="num">{a.attempt}</td>
              <td className="mono">{a.worker}</td>
              <td>{formatTimestamp(a.started_at)}</td>
              <td>{formatTimestamp(a.finished_at)}</td>
              <td className="num">{formatDurationS(secondsBetween(a.started_at, a.finished_at, nowMs))}</td>
              <td>
                <span className={`badge tone-${outcomeTone(a.outcome)}`}>{a.outcome ?? "running"}</span>
              </td>
              <td className="error-cell">{a.error ? <code title={a.error}>{a.error}</code> : <span className="muted">—</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
