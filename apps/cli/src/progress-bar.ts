/**
 * A one-line progress bar on a terminal; on a pipe or file, a plain line every few
 * seconds instead, so logs stay readable.
 */
export class ProgressBar {
  private lastPlain = 0;

  constructor(
    private readonly total: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly width = 28,
    private readonly plainEveryMs = 5000,
  ) {}

  update(done: number, detail: string): void {
    const fraction = this.total > 0 ? Math.min(1, done / this.total) : 1;
    if (this.stream.isTTY) {
      this.stream.write(`\r${renderBar(fraction, this.width)} ${done}/${this.total} ${detail}\x1b[K`);
      return;
    }
    const now = Date.now();
    if (now - this.lastPlain >= this.plainEveryMs || done >= this.total) {
      this.lastPlain = now;
      this.stream.write(`${done}/${this.total} (${Math.round(fraction * 100)}%) ${detail}\n`);
    }
  }

  /** Prints a line above the bar (on a terminal the bar is redrawn at the next update). */
  note(line: string): void {
    this.stream.write(this.stream.isTTY ? `\r${line}\x1b[K\n` : `${line}\n`);
  }

  /** Ends the bar's line so later output starts on a fresh one. */
  finish(): void {
    if (this.stream.isTTY) this.stream.write('\n');
  }
}

/** A bar of `width` cells, the first `fraction` of them filled. */
export function renderBar(fraction: number, width: number): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return '█'.repeat(filled) + '░'.repeat(width - filled);
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
