/**
 * A block of lines at the bottom of a terminal, redrawn in place. Redraws are
 * coalesced to a few per second; lines are cut to the terminal's width so the
 * cursor arithmetic stays right.
 */
export class LiveBlock {
  private drawn = 0;
  private pending: string[] | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastDraw = 0;
  private shown = '';

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly minIntervalMs = 100,
  ) {}

  show(lines: string[]): void {
    this.pending = lines;
    const wait = this.lastDraw + this.minIntervalMs - Date.now();
    if (wait <= 0) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), wait);
  }

  /** Draws what is pending and leaves the block on screen; later output starts below it. */
  end(): void {
    this.flush();
    this.drawn = 0;
    this.shown = '';
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.pending) return;
    const width = Math.max(20, (this.stream.columns || 80) - 1);
    const lines = this.pending.map((line) => (line.length > width ? `${line.slice(0, width - 1)}…` : line));
    this.pending = null;
    const text = lines.join('\n');
    if (this.drawn > 0 && text === this.shown) return;
    // Up to the block's first line, clear to the end of the screen, draw again.
    const up = this.drawn > 0 ? `\x1b[${this.drawn}F` : '';
    this.stream.write(`${up}\x1b[J${text}\n`);
    this.shown = text;
    this.drawn = lines.length;
    this.lastDraw = Date.now();
  }
}
