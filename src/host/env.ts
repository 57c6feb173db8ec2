// The one shape of an environment that headroom reads and hands on: process.env, a
// child's environment, the environment a test builds. Values may be missing.
export type Env = Record<string, string | undefined>;
