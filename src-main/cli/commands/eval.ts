import { CliError } from '../args';

/** Placeholder until implemented in this commit series. */
export async function evalCommand(_argv: string[]): Promise<number> {
  throw new CliError('strata eval: not implemented yet');
}
