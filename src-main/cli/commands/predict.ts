import { CliError } from '../args';

/** Placeholder until implemented in this commit series. */
export async function predictCommand(_argv: string[]): Promise<number> {
  throw new CliError('strata predict: not implemented yet');
}
