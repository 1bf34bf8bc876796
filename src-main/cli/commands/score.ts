import { CliError } from '../args';

/** Placeholder until implemented in this commit series. */
export async function scoreCommand(_argv: string[]): Promise<number> {
  throw new CliError('strata score: not implemented yet');
}
