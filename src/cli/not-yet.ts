import { HeadroomError } from "../errors.ts";

/** For a command that a later change fills in: says so plainly and exits non-zero. */
export function notAvailableYet(command: string): never {
  throw new HeadroomError(`\`headroom ${command}\` is not available in this build yet.`);
}
