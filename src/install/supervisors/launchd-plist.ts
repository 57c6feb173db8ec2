// A property list (XML 1.0, Apple's plist DTD) from a plain value. Pure. Strings are
// escaped (& < > " '); characters XML 1.0 cannot carry are refused rather than dropped.
import { HeadroomError } from "../../errors.ts";

export type PlistValue = string | number | boolean | PlistValue[] | { [key: string]: PlistValue };

// Tab, LF, CR and everything from U+0020 except the surrogates and U+FFFE/U+FFFF.
const XML_CHAR = /^[\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]*$/u;

export function xmlEscape(text: string): string {
  if (!XML_CHAR.test(text)) {
    throw new HeadroomError(`The value ${JSON.stringify(text)} holds a control character that a property list cannot carry.`, "Remove it from the --env value or path.");
  }
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&apos;");
}

function node(value: PlistValue, indent: string): string[] {
  const inner = `${indent}\t`;
  if (typeof value === "string") return [`${indent}<string>${xmlEscape(value)}</string>`];
  if (typeof value === "boolean") return [`${indent}<${value ? "true" : "false"}/>`];
  if (typeof value === "number") {
    if (!Number.isInteger(value)) throw new Error(`plist: only integers are rendered, got ${value}`);
    return [`${indent}<integer>${value}</integer>`];
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return [`${indent}<array/>`];
    return [`${indent}<array>`, ...value.flatMap((v) => node(v, inner)), `${indent}</array>`];
  }
  const entries = Object.entries(value);
  if (entries.length === 0) return [`${indent}<dict/>`];
  return [`${indent}<dict>`, ...entries.flatMap(([k, v]) => [`${inner}<key>${xmlEscape(k)}</key>`, ...node(v, inner)]), `${indent}</dict>`];
}

/** The whole document, ending with a newline. */
export function renderPlist(root: { [key: string]: PlistValue }): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<plist version="1.0">',
    ...node(root, ""),
    "</plist>",
    "",
  ].join("\n");
}
