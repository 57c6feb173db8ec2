// Whether an option's value was given: an empty value (`--mode=`, `HEADROOM_MODE=`)
// counts as not given, so the option's default applies.

export const given = (value: string | undefined): value is string => value !== undefined && value !== "";
