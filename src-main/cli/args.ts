import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A bad argument or input: the CLI prints the message and exits with code 2. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * `--help` or `-h` among a command's arguments: not an error, the CLI prints the command's usage line and
 * its options (from the table it parses with) and exits 0.
 */
export class HelpRequest extends Error {
  constructor(
    readonly command: string,
    readonly options: Options,
  ) {
    super(`help for ${command}`);
  }

  /** The options, one a line: `--name VALUE` for a string, `--name` for a switch. */
  optionLines(): string[] {
    return Object.entries(this.options).map(([name, o]) => `  --${name}${o.type === 'string' ? ' VALUE' : ''}${o.multiple ? ' (repeatable)' : ''}`);
  }
}

/** Whether `argv` asks for help before a `--` that ends the options. */
export function asksForHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

/**
 * `--epochs -1` as `--epochs=-1`: a value option followed by a negative number takes it as its value, so the
 * value is checked (and refused by its own rule) instead of node's parser calling the flag ambiguous.
 */
function joinNegativeValues(argv: readonly string[], options: Options): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const next = argv[i + 1];
    const name = a.startsWith('--') && !a.includes('=') ? a.slice(2) : null;
    if (name !== null && options[name]?.type === 'string' && next !== undefined && /^-(\d|\.\d)/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

/** Parses a subcommand's arguments strictly; unknown flags and missing values are CliErrors; `--help` is a HelpRequest. */
export function parseCommandArgs<O extends Options>(command: string, argv: string[], options: O): ReturnType<typeof parseArgs<{ args: string[]; options: O; strict: true; allowPositionals: true }>> {
  if (asksForHelp(argv)) throw new HelpRequest(command, options);
  try {
    return parseArgs({ args: joinNegativeValues(argv, options), options, strict: true, allowPositionals: true });
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    throw new CliError(`${command}: ${msg.replace(/^TypeError \[[A-Z_]+\]: /, '')}`);
  }
}

/** A number flag within [min, max]; `integer` refuses fractions. */
export function numberArg(
  name: string,
  raw: string | undefined,
  fallback: number,
  opts: { min?: number; max?: number; integer?: boolean } = {},
): number {
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v)) throw new CliError(`--${name}: '${raw}' is not a number`);
  if (opts.integer && !Number.isInteger(v)) throw new CliError(`--${name}: '${raw}' must be a whole number`);
  if (opts.min !== undefined && v < opts.min) throw new CliError(`--${name}: ${v} is below the minimum ${opts.min}`);
  if (opts.max !== undefined && v > opts.max) throw new CliError(`--${name}: ${v} is above the maximum ${opts.max}`);
  return v;
}

/** A flag whose value must be one of `choices`. */
export function choiceArg<T extends string>(name: string, raw: string | undefined, fallback: T, choices: readonly T[]): T {
  if (raw === undefined) return fallback;
  if (!(choices as readonly string[]).includes(raw)) {
    throw new CliError(`--${name}: '${raw}' is not one of ${choices.join(', ')}`);
  }
  return raw as T;
}

/** A required string flag. */
export function requiredArg(command: string, name: string, raw: string | undefined): string {
  if (raw === undefined || raw === '') throw new CliError(`${command}: --${name} is required`);
  return raw;
}

/** Writes the one JSON object of a `--json` command to stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
