import type { Logger } from "pino";

/**
 * Every Krake process ends the same way: the first SIGTERM or SIGINT runs
 * `stop` once (a second signal while it drains changes nothing), then the
 * process exits 0, or 1 after logging why the stop was unclean. Returns
 * whether a stop has begun, for start-up code that fails meanwhile.
 */
export function stopOnSignal(log: Logger, stop: () => Promise<void>): () => boolean {
  let stopping = false;
  const onSignal = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "draining and stopping");
    stop().then(
      () => {
        log.info("stopped");
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err }, "unclean stop");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => onSignal("SIGTERM"));
  process.on("SIGINT", () => onSignal("SIGINT"));
  return () => stopping;
}
