// A property list (XML 1.0, Apple's plist DTD) from a plain value. Pure. Strings are
// escaped (& < > " '); characters XML 1.0 cannot carry are refused rather than dropped.
import { escapeXmlText } from "./xml-text.ts";

export type PlistValue = string | number | boolean | PlistValue[] | { [key: string]: PlistValue };

export function xmlEscape(text: string): string {
  return escapeXmlText(text, "a property list", "Remove it from the --env value or path.");
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
