/** A duration in words for messages: "300 ms", "45 s", "5 min", "1 h", "1.5 h". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${round(ms / 1000)} s`;
  if (ms < 3_600_000) return `${round(ms / 60_000)} min`;
  return `${round(ms / 3_600_000)} h`;
}

/** A score for messages: at most 4 decimals. */
export function formatScore(score: number): string {
  return String(round(score, 4));
}

function round(n: number, decimals = 2): number {
  const f = 10 ** decimals;
  return Math.round(n * f) / f;
}
