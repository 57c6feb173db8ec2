// The errors about a deployment profile's manifest: a name SPEC 2 does not allow, a
// profile that does not exist, a file that is not a valid manifest. No schema here, so
// a missing profile is reported without loading the validator.
import { HeadroomError, UsageError } from "../errors.ts";
import { PROFILE_NAME_MAX, isValidProfileName } from "../paths.ts";

/** Throws a usage error for a profile name that SPEC 2 does not allow, or one too long to be a file name. */
export function checkProfileName(profile: string): string {
  if (profile === "") throw new UsageError("The profile name is empty; give one with --profile NAME (letters, digits, \".\", \"_\" or \"-\").");
  if (profile.length > PROFILE_NAME_MAX) {
    throw new UsageError(`The profile name "${profile.slice(0, 20)}..." is ${profile.length} characters long; use at most ${PROFILE_NAME_MAX}.`);
  }
  if (!isValidProfileName(profile)) {
    throw new UsageError(
      `"${profile}" is not a valid profile name; use letters, digits, ".", "_" or "-" (not "." or "..").`,
    );
  }
  return profile;
}

/** A manifest file that exists but cannot be read as a manifest. */
export class CorruptManifestError extends HeadroomError {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(
      `The manifest ${path} is not valid (${reason}).`,
      "Fix or delete that file, or re-run `headroom install apply` with --force to replace it.",
    );
    this.name = "CorruptManifestError";
  }
}

/** Exit code of a command about a profile that does not exist (src/cli/exit-codes.ts). */
export const NOT_INSTALLED_EXIT = 3;

/** The error for a profile without a manifest, saying how to create it. Exit code 3. */
export function missingProfileError(profile: string, path: string): HeadroomError {
  return new HeadroomError(
    `No deployment profile "${profile}" (no ${path}).`,
    "Create it with `headroom install apply" + (profile === "default" ? "" : ` --profile ${profile}`) + "`.",
    NOT_INSTALLED_EXIT,
  );
}
