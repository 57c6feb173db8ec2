// Writes single-file release archives in pure JS so a release needs no `tar` or `zip`
// on the build machine: a gzip-compressed ustar archive, and a deflate zip.
import { promisify } from "node:util";
import { deflateRaw, gzip } from "node:zlib";

const gzipAsync = promisify(gzip);
const deflateRawAsync = promisify(deflateRaw);

export interface ArchiveEntry {
  /** Path inside the archive (plain ASCII, under 100 characters). */
  name: string;
  data: Uint8Array;
  /** Unix permission bits, e.g. 0o755. */
  mode: number;
  mtime: Date;
}

function checkName(name: string): void {
  if (!/^[A-Za-z0-9._-][A-Za-z0-9._/-]*$/.test(name) || name.length >= 100 || name.includes("..")) {
    throw new Error(`archive member name not supported: ${JSON.stringify(name)}`);
  }
}

function writeOctal(buf: Uint8Array, offset: number, width: number, value: number): void {
  const text = value.toString(8).padStart(width - 1, "0");
  if (text.length > width - 1) throw new Error(`value ${value} does not fit a tar header field`);
  buf.set(new TextEncoder().encode(text), offset); // followed by the NUL already in place
}

function tarHeader(entry: ArchiveEntry): Uint8Array {
  const h = new Uint8Array(512);
  const enc = new TextEncoder();
  h.set(enc.encode(entry.name), 0);
  writeOctal(h, 100, 8, entry.mode & 0o7777);
  writeOctal(h, 108, 8, 0); // uid
  writeOctal(h, 116, 8, 0); // gid
  writeOctal(h, 124, 12, entry.data.length);
  writeOctal(h, 136, 12, Math.floor(entry.mtime.getTime() / 1000));
  h.fill(0x20, 148, 156); // checksum field counts as spaces while summing
  h[156] = 0x30; // '0': regular file
  h.set(enc.encode("ustar\u000000"), 257);
  h.set(enc.encode("root"), 265);
  h.set(enc.encode("root"), 297);
  let sum = 0;
  for (const b of h) sum += b;
  h.set(enc.encode(sum.toString(8).padStart(6, "0") + "\u0000 "), 148);
  return h;
}

/** A .tar.gz holding the given files. */
export async function tarGz(entries: ArchiveEntry[]): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for (const e of entries) {
    checkName(e.name);
    parts.push(tarHeader(e), e.data);
    const pad = (512 - (e.data.length % 512)) % 512;
    if (pad) parts.push(new Uint8Array(pad));
  }
  parts.push(new Uint8Array(1024)); // end-of-archive marker
  return new Uint8Array(await gzipAsync(Buffer.concat(parts), { level: 6 }));
}

function dosDateTime(d: Date): { time: number; date: number } {
  const year = Math.max(1980, d.getUTCFullYear());
  return {
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | Math.floor(d.getUTCSeconds() / 2),
    date: ((year - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
  };
}

/** A .zip holding the given files (deflate; sizes under 4 GiB). */
export async function zip(entries: ArchiveEntry[]): Promise<Uint8Array> {
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const e of entries) {
    checkName(e.name);
    const name = new TextEncoder().encode(e.name);
    const compressed = new Uint8Array(await deflateRawAsync(e.data, { level: 6 }));
    const crc = Bun.hash.crc32(e.data) >>> 0;
    const { time, date } = dosDateTime(e.mtime);
    if (compressed.length >= 0xffffffff || e.data.length >= 0xffffffff) throw new Error(`${e.name} is too large for a zip without zip64`);

    const local = new DataView(new ArrayBuffer(30));
    local.setUint32(0, 0x04034b50, true);
    local.setUint16(4, 20, true); // version needed: 2.0 (deflate)
    local.setUint16(6, 0, true); // flags
    local.setUint16(8, 8, true); // method: deflate
    local.setUint16(10, time, true);
    local.setUint16(12, date, true);
    local.setUint32(14, crc, true);
    local.setUint32(18, compressed.length, true);
    local.setUint32(22, e.data.length, true);
    local.setUint16(26, name.length, true);
    local.setUint16(28, 0, true);
    locals.push(new Uint8Array(local.buffer), name, compressed);

    const central = new DataView(new ArrayBuffer(46));
    central.setUint32(0, 0x02014b50, true);
    central.setUint16(4, (3 << 8) | 20, true); // made by: Unix, 2.0 (keeps the mode bits)
    central.setUint16(6, 20, true);
    central.setUint16(8, 0, true);
    central.setUint16(10, 8, true);
    central.setUint16(12, time, true);
    central.setUint16(14, date, true);
    central.setUint32(16, crc, true);
    central.setUint32(20, compressed.length, true);
    central.setUint32(24, e.data.length, true);
    central.setUint16(28, name.length, true);
    central.setUint16(30, 0, true); // extra
    central.setUint16(32, 0, true); // comment
    central.setUint16(34, 0, true); // disk
    central.setUint16(36, 0, true); // internal attributes
    central.setUint32(38, ((0o100000 | (e.mode & 0o7777)) << 16) >>> 0, true); // external: regular file + mode
    central.setUint32(42, offset, true);
    centrals.push(new Uint8Array(central.buffer), name);

    offset += 30 + name.length + compressed.length;
  }
  const centralSize = centrals.reduce((n, p) => n + p.length, 0);
  const end = new DataView(new ArrayBuffer(22));
  end.setUint32(0, 0x06054b50, true);
  end.setUint16(8, entries.length, true);
  end.setUint16(10, entries.length, true);
  end.setUint32(12, centralSize, true);
  end.setUint32(16, offset, true);
  return new Uint8Array(Buffer.concat([...locals, ...centrals, new Uint8Array(end.buffer)]));
}
