// What every compressor is: a pure function from text (plus the question being asked) to
// a shorter text and a one-line summary of what it left out. The engine adds the marker.
export interface CompressorContext {
  /** Distinctive terms of the last user message, lower-cased. */
  queryTerms: string[];
}

export interface CompressorOutput {
  /** The kept content (without marker). */
  text: string;
  /** What was left out, for the marker: "488 of 500 items omitted". */
  summary: string;
}

export interface Compressor {
  kind: string;
  /** Cheap check on the content's shape. */
  detect(text: string): boolean;
  /** Null when this content is not worth compressing after all. */
  compress(text: string, ctx: CompressorContext): CompressorOutput | null;
}
