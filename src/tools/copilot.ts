// GitHub Copilot CLI through the proxy: its custom-provider (BYOK) mode, driven only by
// environment variables (`copilot help providers`, checked against @github/copilot
// 1.0.102). COPILOT_PROVIDER_BASE_URL switches it to an OpenAI-compatible provider at
// that URL, with no GitHub sign-in; it then needs an explicit model (COPILOT_MODEL,
// COPILOT_PROVIDER_MODEL_ID or --model, nothing else: a `model` in settings.json does not
// count) and takes its key from COPILOT_PROVIDER_API_KEY (or _BEARER_TOKEN /
// _API_KEY_COMMAND) only: it never reads OPENAI_API_KEY. The wire API is "completions"
// (POST /v1/chat/completions, its default) or "responses" (POST /v1/responses).
//
// So headroom sets the provider type and base URL, and for the rest keeps whatever the
// user has, filling in only what is missing: the wire API (completions), a model
// (COPILOT_DEFAULT_MODEL) and, when the user has no Copilot provider key but has
// OPENAI_API_KEY, a copy of that variable — a reference in the shell block, a copy in the
// wrapped process's environment, never a value written to disk.
import type { EnvRule } from "./env-rules.ts";

/** The model Copilot gets when the user names none; overridden by COPILOT_MODEL or --model. */
export const COPILOT_DEFAULT_MODEL = "gpt-4.1";

export function copilotEnv(base: string): Record<string, string> {
  return { COPILOT_PROVIDER_TYPE: "openai", COPILOT_PROVIDER_BASE_URL: `${base}/v1` };
}

export const COPILOT_ENV_RULES: readonly EnvRule[] = [
  { name: "COPILOT_PROVIDER_WIRE_API", value: "completions", unless: ["COPILOT_PROVIDER_WIRE_API"] },
  // The wire model defaults to COPILOT_MODEL: a user's own model id or wire model must not be
  // shadowed by the default.
  { name: "COPILOT_MODEL", value: COPILOT_DEFAULT_MODEL, unless: ["COPILOT_MODEL", "COPILOT_PROVIDER_MODEL_ID", "COPILOT_PROVIDER_WIRE_MODEL"] },
  { name: "COPILOT_PROVIDER_API_KEY", from: "OPENAI_API_KEY", unless: ["COPILOT_PROVIDER_API_KEY", "COPILOT_PROVIDER_BEARER_TOKEN", "COPILOT_PROVIDER_API_KEY_COMMAND"] },
];
