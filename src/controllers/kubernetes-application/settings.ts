/** The application controller's own settings (`application:` in its config file, `--application.<key>` flags). */
export interface ApplicationSettings {
  /** A deleted Application whose cluster stays unreachable this long loses its finalizer anyway (with a reason). */
  deletionTimeoutMs: number;
  /** A RUNNING Application is looked at again this often even without a watch event (a safety net). */
  observerResyncMs: number;
  /** Each request to a member cluster. */
  requestTimeoutMs: number;
  /** Cluster watches list again after a failure with this backoff. */
  watchBackoffInitialMs: number;
  watchBackoffMaxMs: number;
  /** How long the new copy of a migrating Application may take to become ready before the move is rolled back. */
  migrationReadyTimeoutMs: number;
  /** Krake's migration.retry.max: failed moves before the controller stops trying. */
  migrationRetryMax: number;
  /** Krake's migration.retry.timeout: after the n-th failed move, no new attempt for n × this. */
  migrationRetryTimeoutMs: number;
}

export const defaultApplicationSettings: ApplicationSettings = {
  deletionTimeoutMs: 600_000,
  observerResyncMs: 60_000,
  requestTimeoutMs: 15_000,
  watchBackoffInitialMs: 200,
  watchBackoffMaxMs: 10_000,
  migrationReadyTimeoutMs: 300_000,
  migrationRetryMax: 10,
  migrationRetryTimeoutMs: 60_000,
};
