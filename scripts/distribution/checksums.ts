// SHA256SUMS in the format of `sha256sum` (`<hex>  <file>`; a `*` before the name marks
// binary mode and is accepted when reading).
export type Checksums = Map<string, string>;

export function parseChecksums(text: string): Checksums {
  const sums: Checksums = new Map();
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === "") return;
    const m = /^([0-9a-fA-F]{64}) [ *](.+)$/.exec(line);
    if (!m) throw new Error(`SHA256SUMS line ${i + 1} is not "<sha256>  <file>": ${JSON.stringify(line)}`);
    sums.set(m[2]!, m[1]!.toLowerCase());
  });
  return sums;
}

export function formatChecksums(sums: Checksums): string {
  return [...sums.entries()].map(([file, hash]) => `${hash}  ${file}`).join("\n") + "\n";
}

export function requireChecksum(sums: Checksums, file: string): string {
  const hash = sums.get(file);
  if (!hash) throw new Error(`SHA256SUMS has no entry for ${file}.`);
  return hash;
}
