/**
 * Shares one run of an async operation among concurrent callers, with one
 * rule: a caller never joins a run that started before it arrived (its result
 * could predate the caller's request); it joins the next run, which starts
 * when the current one has ended. So at most one run is in flight and one
 * queued, however many callers there are.
 */
export class NextRun<T> {
  private inFlight: Promise<T> | undefined;
  private queued: Promise<T> | undefined;

  constructor(private readonly run: () => Promise<T>) {}

  join(): Promise<T> {
    if (!this.inFlight) return this.launch();
    this.queued ??= this.inFlight
      .then(
        () => undefined,
        () => undefined,
      )
      .then(() => {
        this.queued = undefined;
        return this.launch();
      });
    return this.queued;
  }

  private launch(): Promise<T> {
    const p: Promise<T> = this.run().finally(() => {
      if (this.inFlight === p) this.inFlight = undefined;
    });
    this.inFlight = p;
    return p;
  }
}
