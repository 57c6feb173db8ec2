// The names the compression side and the proxy around it share: which API a request
// speaks and which mode compresses it. Types only, importing nothing, so that the request
// path (index.ts), the retrieval loop (retrieval/) and the proxy's settings (../config.ts)
// and routing (../routing.ts) all read them from here.

/** The API a request speaks (routing.ts classifies it); "other" is forwarded untouched. */
export type ApiKind = "anthropic-messages" | "openai-chat" | "openai-responses" | "other";

/** auto: cache for requests that carry cache_control (clients using prompt caching), else token. */
export type ProxyMode = "token" | "cache" | "auto";
