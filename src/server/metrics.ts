/**
 * Metrics: the server's Prometheus metrics on their own prom-client Registry (not the global
 * one, so several apps in one process do not collide). Labels are route templates, methods,
 * status codes, outcomes and operation names — never a lock name, dict key or token, so label
 * cardinality stays small and nothing secret is exported. `baton_locks_held` is read from the
 * backend at scrape time (it counts every holder, not only this server's); if the backend cannot
 * answer, the gauge keeps its last value and the scrape still succeeds.
 *
 * Process metrics are prom-client's defaults under their standard names (`process_cpu_seconds_total`,
 * `nodejs_heap_size_total_bytes`, …), so stock Node.js dashboards work, without the three gauges
 * whose names end in `_total` (`nodejs_active_{handles,requests,resources}_total`): Prometheus
 * reserves that suffix for counters and `promtool check metrics` rejects them; their per-type
 * gauges (`nodejs_active_handles` and so on) stay, and `sum()` of one gives the total.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Baton } from '../index.js';

/** GAUGES_NAMED_TOTAL are prom-client default gauges misnamed as counters (see above). */
const GAUGES_NAMED_TOTAL = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/** ServerMetrics are the instruments the routes record into. */
export interface ServerMetrics {
  readonly registry: Registry;
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  readonly lockWait: Histogram<'kind' | 'outcome'>;
  readonly dictOps: Counter<'op' | 'outcome'>;
  readonly openStreams: Gauge<'kind'>;
}

/** createMetrics makes the registry and instruments; `locks held` asks `baton` when scraped. */
export function createMetrics(baton: Baton, options: { processMetrics?: boolean } = {}): ServerMetrics {
  const registry = new Registry();
  if (options.processMetrics !== false) {
    collectDefaultMetrics({ register: registry });
    for (const gauge of GAUGES_NAMED_TOTAL) registry.removeSingleMetric(gauge);
  }
  const httpDuration = new Histogram({
    name: 'baton_http_request_duration_seconds',
    help: 'HTTP request duration by method, route template and status (long-polls and streams included)',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  const lockWait = new Histogram({
    name: 'baton_lock_wait_seconds',
    help: 'Time an acquire request waited, by kind (lock, semaphore, rwlock) and outcome (granted, timeout, aborted, error)',
    labelNames: ['kind', 'outcome'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30],
    registers: [registry],
  });
  const dictOps = new Counter({
    name: 'baton_dict_operations_total',
    help: 'Dict operations by operation and outcome (ok or the error code)',
    labelNames: ['op', 'outcome'] as const,
    registers: [registry],
  });
  const openStreams = new Gauge({
    name: 'baton_open_requests',
    help: 'Long-lived requests in progress: lock long-polls and watch streams',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'baton_locks_held',
    help: 'Locks currently held in the backend (read at scrape time, at most 10000 counted)',
    registers: [registry],
    async collect() {
      try {
        this.set((await baton.listLocks({ limit: 10_000 })).length);
      } catch {
        // keep the last value: a scrape must not fail because the backend is away
      }
    },
  });
  return { registry, httpDuration, lockWait, dictOps, openStreams };
}
