import { expect } from "chai";
import type { Registry } from "prom-client";
import { MetricError, providerQueriesMetricName } from "../../../../src/scheduling/providers/index.js";
import type { MetricReasonCode } from "../../../../src/scheduling/providers/index.js";

/** Awaits `promise`, expects it to reject with a MetricError of `code`, and returns that error. */
export async function expectMetricError(promise: Promise<unknown>, code: MetricReasonCode): Promise<MetricError> {
  let caught: unknown;
  try {
    const value = await promise;
    expect.fail(`expected a MetricError with code ${code}, got the value ${String(value)}`);
  } catch (err) {
    caught = err;
  }
  expect(caught, String(caught)).to.be.instanceOf(MetricError);
  const error = caught as MetricError;
  expect(error.code, error.message).to.equal(code);
  return error;
}

/** The value of krake_scheduler_provider_queries_total{provider, metric} in `registry` (0 when absent). */
export async function queriesCounted(registry: Registry, provider: string, metric: string): Promise<number> {
  const counter = registry.getSingleMetric(providerQueriesMetricName);
  if (!counter) return 0;
  const { values } = await counter.get();
  return values.find((v) => v.labels.provider === provider && v.labels.metric === metric)?.value ?? 0;
}

/** Polls `check` (an observable state, not the clock) until it holds; fails after `timeoutMs`. */
export async function eventually(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) expect.fail(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
