// Text inside XML 1.0 (a launchd plist, a Task Scheduler definition): the five special
// characters escaped, and characters XML 1.0 cannot carry refused rather than dropped.
import { HeadroomError } from "../../errors.ts";

// Tab, LF, CR and everything from U+0020 except the surrogates and U+FFFE/U+FFFF.
const XML_CHAR = /^[\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]*$/u;

/** Escapes `text`; `carrier` names the document in the refusal ("a property list"). */
export function escapeXmlText(text: string, carrier: string, hint?: string): string {
  if (!XML_CHAR.test(text)) throw new HeadroomError(`The value ${JSON.stringify(text)} holds a control character that ${carrier} cannot carry.`, hint);
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&apos;");
}

/** The text an escaped value stands for. */
export function unescapeXmlText(s: string): string {
  return s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, "&");
}
