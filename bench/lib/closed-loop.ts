/**
 * A closed-loop load from this process: `inFlight` workers each issue the
 * next call when the previous one answers; calls that finish inside the
 * measuring window (after the warm-up) are counted.
 */
export interface ClosedLoopResult {
  rate: number;
  ok: number;
  errors: number;
  firstError: unknown;
}

export async function closedLoop(
  call: (i: number) => Promise<unknown>,
  o: { inFlight: number; warmupS: number; durationS: number; onMeasureStart?: () => void; onMeasureEnd?: () => void },
): Promise<ClosedLoopResult> {
  let seq = 0;
  let measuring = false;
  let stopping = false;
  let ok = 0;
  let errors = 0;
  let firstError: unknown;
  const worker = async () => {
    while (!stopping) {
      try {
        await call(seq++);
        if (measuring) ok++;
      } catch (err) {
        errors++;
        firstError ??= err;
      }
    }
  };
  const workers = Array.from({ length: o.inFlight }, worker);
  await new Promise((r) => setTimeout(r, o.warmupS * 1000));
  measuring = true;
  o.onMeasureStart?.();
  const started = performance.now();
  await new Promise((r) => setTimeout(r, o.durationS * 1000));
  measuring = false;
  const seconds = (performance.now() - started) / 1000;
  o.onMeasureEnd?.();
  stopping = true;
  await Promise.all(workers);
  return { rate: ok / seconds, ok, errors, firstError };
}
