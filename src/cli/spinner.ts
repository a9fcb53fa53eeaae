/** A one-line progress indicator on a terminal; does nothing elsewhere. */

const frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const intervalMs = 100;

export class Spinner {
  private timer: NodeJS.Timeout | undefined;
  private frame = 0;
  private readonly started = Date.now();

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly text: () => string,
  ) {}

  /** Seconds since the spinner was created, e.g. "1.3 s". */
  elapsed(): string {
    return `${((Date.now() - this.started) / 1000).toFixed(1)} s`;
  }

  start(): void {
    if (!this.stream.isTTY) return;
    this.timer = setInterval(() => this.draw(), intervalMs);
    this.timer.unref();
    this.draw();
  }

  stop(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.stream.write("\r\x1b[2K");
  }

  private draw(): void {
    this.frame = (this.frame + 1) % frames.length;
    this.stream.write(`\r\x1b[2K${frames[this.frame]} ${this.text()} (${this.elapsed()})`);
  }
}
