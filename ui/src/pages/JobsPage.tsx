import { useState, type FormEvent } from "react";
import { useNavigate, useSearchParams } from "react-router";
import { useQuery } from "@tanstack/react-query";
import { jobListQuery, tasksQuery, type JobFilters } from "../api/queries";
import { JobsTable } from "../components/JobsTable/JobsTable";
import { Pager } from "../components/Pager/Pager";
import { ErrorState } from "../components/ErrorState/ErrorState";
import { EmptyState, Loading } from "../components/Placeholder/Placeholder";
import { JOB_STATUSES } from "../lib/status";
import { useCursorPager } from "../hooks/useCursorPager";
import { useNow } from "../hooks/useNow";

/** All jobs, newest first, filtered by status / task type / partition key, with a jump-to-id box. */
export function JobsPage() {
  const [params, setParams] = useSearchParams();
  const navigate = useNavigate();
  const filters: JobFilters = {
    status: params.get("status") ?? undefined,
    task_type: params.get("task_type") ?? undefined,
    partition_key: params.get("partition_key") ?? undefined,
  };
  const pager = useCursorPager();
  const jobs = useQuery(jobListQuery(filters, pager.cursor));
  const tasks = useQuery(tasksQuery());
  const nowMs = useNow();
  const [partitionDraft, setPartitionDraft] = useState(filters.partition_key ?? "");
  const [idDraft, setIdDraft] = useState("");

  function setFilter(name: keyof JobFilters, value: string) {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    setParams(next, { replace: true });
    pager.reset();
  }

  function applyPartition(event: FormEvent) {
    event.preventDefault();
    setFilter("partition_key", partitionDraft.trim());
  }

  function openJob(event: FormEvent) {
    event.preventDefault();
    const id = idDraft.trim();
    if (id) navigate(`/jobs/${encodeURIComponent(id)}`);
  }

  const items = jobs.data?.items ?? [];
  const hasFilters = Boolean(filters.status || filters.task_type || filters.partition_key);
  return (
    <section className="page" aria-labelledby="jobs-title">
      <div className="page-head">
        <h1 id="jobs-title">Jobs</h1>
        <form className="search" role="search" onSubmit={openJob}>
          <label htmlFor="job-id-search" className="visually-hidden">
            Job id
          </label>
          <input id="job-id-search" placeholder="Go to job id…" value={idDraft} onChange={(e) => setIdDraft(e.target.value)} spellCheck={false} />
          <button type="submit" className="btn" disabled={idDraft.trim() === ""}>
            Open
          </button>
        </form>
      </div>
      <div className="filters" role="group" aria-label="Filters">
        <label>
          Status
          <select value={filters.status ?? ""} onChange={(e) => setFilter("status", e.target.value)}>
            <option value="">any</option>
            {JOB_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Task type
          <select value={filters.task_type ?? ""} onChange={(e) => setFilter("task_type", e.target.value)}>
            <option value="">any</option>
            {(tasks.data?.items ?? []).map((t) => (
              <option key={t.name} value={t.name}>
                {t.name}
              </option>
            ))}
            {filters.task_type && !tasks.data?.items.some((t) => t.name === filters.task_type) && <option value={filters.task_type}>{filters.task_type}</option>}
          </select>
        </label>
        <form onSubmit={applyPartition} className="inline-form">
          <label>
            Partition key
            <input value={partitionDraft} onChange={(e) => setPartitionDraft(e.target.value)} onBlur={applyPartition} placeholder="any" spellCheck={false} />
          </label>
        </form>
        {hasFilters && (
          <button
            type="button"
            className="btn small"
            onClick={() => {
              setParams(new URLSearchParams(), { replace: true });
              setPartitionDraft("");
              pager.reset();
            }}
          >
            Clear filters
          </button>
        )}
      </div>
      {jobs.error && <ErrorState error={jobs.error} inline={jobs.data !== undefined} onRetry={() => void jobs.refetch()} />}
      {jobs.isPending && <Loading label="Loading jobs…" />}
      {jobs.data && items.length === 0 && (
        <EmptyState title={hasFilters ? "No jobs match these filters" : "No jobs yet"}>{hasFilters ? "Try clearing a filter." : "Create one from New job."}</EmptyState>
      )}
      {items.length > 0 && <JobsTable jobs={items} nowMs={nowMs} />}
      {jobs.data && (pager.hasPrevious || jobs.data.next_cursor) && (
        <Pager page={pager.page} hasPrevious={pager.hasPrevious} nextCursor={jobs.data.next_cursor} onPrevious={pager.previous} onNext={pager.next} shown={items.length} />
      )}
    </section>
  );
}
