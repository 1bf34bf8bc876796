/**
 * What a trainer process writes to stdout and stderr, as its launcher captures it: the last 8 K characters of
 * stderr (for the failure reason of a trainer that dies without reporting, and for TensorFlow's own
 * loader messages in the backend report), and whole lines for a log. Plain data structures, so every
 * launcher (Node's fork, Electron's utilityProcess, the fault tests' ones) shares them.
 */

/** How much of a trainer's stderr is kept (characters): enough for V8's out-of-memory report or a stack trace. */
export const STDERR_TAIL_CHARS = 8 * 1024;

/** The last `maxChars` characters of a stream's text. */
export class OutputTail {
  private chunks: string[] = [];
  private size = 0;

  constructor(private readonly maxChars = STDERR_TAIL_CHARS) {}

  push(chunk: string | Uint8Array): void {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    if (text.length === 0) return;
    this.chunks.push(text);
    this.size += text.length;
    while (this.size > this.maxChars) {
      const first = this.chunks[0] as string;
      const excess = this.size - this.maxChars;
      if (first.length <= excess) {
        this.chunks.shift();
        this.size -= first.length;
      } else {
        this.chunks[0] = first.slice(excess);
        this.size -= excess;
      }
    }
  }

  text(): string {
    return this.chunks.join('');
  }
}

/** Splits a stream's chunks into whole lines (without their line ends); `flush` gives the unfinished last one. */
export class LineSplitter {
  private partial = '';

  push(chunk: string | Uint8Array): string[] {
    const text = this.partial + (typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    const lines = text.split(/\r?\n/);
    this.partial = lines.pop() ?? '';
    // A process that never writes a newline must not grow this without bound.
    if (this.partial.length > 64 * 1024) {
      lines.push(this.partial);
      this.partial = '';
    }
    return lines;
  }

  flush(): string[] {
    const rest = this.partial;
    this.partial = '';
    return rest.length > 0 ? [rest] : [];
  }
}

/**
 * Noise in a crash report: native and JavaScript stack frames, their headers, Node's version footer,
 * and tfjs's "install our node backend" banner (printed by every trainer on wasm or cpu).
 */
const NOISE = [
  /^\s*\d+: 0x[0-9a-f]+/i,
  /^\s*at\s/,
  /^-+ Native stack trace -+$/,
  /^Node\.js v\d/,
  /^\s*\^+\s*$/,
  /^=+$/,
  /^Hi,? (?:there\b.*)?looks like you are running TensorFlow\.js in Node\.js/i,
  // libtensorflow's informational lines ("I tensorflow/core/platform/cpu_feature_guard.cc:193] ..."), on every start.
  /^\d{4}-\d\d-\d\d [\d:.]+: I /,
];

/**
 * The informative end of a crashed trainer's stderr as one line: stack frames dropped, the last
 * `maxLines` lines joined with " | ", cut from the front to `maxChars`. Empty when nothing is left.
 * Lines that `known` (the reason it completes) already says are left out too.
 */
export function stderrSummary(tail: string, maxLines = 6, maxChars = 600, known = ''): string {
  const lines = tail
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !NOISE.some((re) => re.test(l)) && !known.includes(l.replace(/^[\w.]*Error:\s*/, '')));
  const text = lines.slice(-maxLines).join(' | ');
  return text.length > maxChars ? `…${text.slice(-(maxChars - 1))}` : text;
}

/**
 * A failure's reason (a crash's, or one the trainer reported) with the end of the trainer's stderr,
 * when it wrote anything worth showing that the reason does not already say.
 */
export function withStderr(reason: string, tail: string | undefined): string {
  const summary = tail ? stderrSummary(tail, undefined, undefined, reason) : '';
  return summary ? `${reason}; last stderr: ${summary}` : reason;
}
