/**
 * The connection the stores use, set once at start-up (and by tests, with a fake). A module value
 * rather than provide/inject so stores work outside components too.
 */
import type { StrataApi } from '../../shared/api/channels';
import type { LabConnection } from './index';

let connection: LabConnection | null = null;

/** Sets the connection every store talks through. */
export function setLab(c: LabConnection): void {
  connection = c;
}

/** The connection set at start-up; throws when the app was started without one (a programming error). */
export function lab(): LabConnection {
  if (!connection) throw new Error('the lab connection was used before setLab() was called');
  return connection;
}

/** The API of the connection. */
export function api(): StrataApi {
  return lab().api;
}
