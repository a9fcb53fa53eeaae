import { Reason_Code } from "../../../gen/krake/core/v1/types.js";
import type { Reason } from "../../../gen/krake/core/v1/types.js";

/** The four reason codes a metric can fail with (krake-model.md §7, Krake's numbers). */
export type MetricReasonCode =
  | Reason_Code.INVALID_METRIC
  | Reason_Code.UNREACHABLE_METRICS_PROVIDER
  | Reason_Code.UNKNOWN_METRIC
  | Reason_Code.UNKNOWN_METRICS_PROVIDER;

/**
 * Why a metric has no usable value, in Krake's codes, which Krake's scheduler
 * assigns like this (scheduler.py, `metrics_reason_from_err`):
 * - UNREACHABLE_METRICS_PROVIDER (92): the provider could not be asked or did
 *   not answer: connection refused, TLS failure, timeout, an HTTP error status,
 *   a body that is not what the protocol promises.
 * - INVALID_METRIC (91): the provider answered, but not with a usable value:
 *   the metric is not in the answer, its value is not a number, or the value
 *   is outside the Metric's [min, max] or not one of its allowed_values.
 * - UNKNOWN_METRIC (93): the Metric/GlobalMetric object does not exist.
 * - UNKNOWN_METRICS_PROVIDER (94): the (Global)MetricsProvider object does not exist.
 *
 * Providers throw it for 91 and 92; the fetcher adds 93 and 94. An abort of
 * the caller's own signal is not a MetricError: the caller's reason is thrown.
 */
export class MetricError extends Error {
  readonly code: MetricReasonCode;
  override readonly cause?: unknown;

  constructor(code: MetricReasonCode, message: string, cause?: unknown) {
    super(message);
    this.name = "MetricError";
    this.code = code;
    this.cause = cause;
  }

  static invalid(message: string, cause?: unknown): MetricError {
    return new MetricError(Reason_Code.INVALID_METRIC, message, cause);
  }

  static unreachable(message: string, cause?: unknown): MetricError {
    return new MetricError(Reason_Code.UNREACHABLE_METRICS_PROVIDER, message, cause);
  }

  static unknownMetric(message: string): MetricError {
    return new MetricError(Reason_Code.UNKNOWN_METRIC, message);
  }

  static unknownProvider(message: string): MetricError {
    return new MetricError(Reason_Code.UNKNOWN_METRICS_PROVIDER, message);
  }

  /** The Reason to store in `status.metrics_reasons`. */
  toReason(): Reason {
    return { code: this.code, message: this.message };
  }
}
