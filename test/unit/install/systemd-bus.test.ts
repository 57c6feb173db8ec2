// The D-Bus client status uses to read a unit's state, against peers written here
// (the wire format encoded by hand, independently of the client's encoder): its
// messages, its answers, and every way it must give up so that systemctl is asked.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { decodeMessage, encodeMethodCall, getProperties, messageLength } from "../../../src/host/dbus.ts";
import { makeContext } from "../../../src/install/context.ts";
import { buildManifest } from "../../../src/install/plan.ts";
import { privateSocket, showUnitOverBus, statusProperties, unitObjectPath } from "../../../src/install/supervisors/systemd-bus.ts";
import { systemdService } from "../../../src/install/supervisors/systemd-service.ts";
import { recordingRunner } from "../../support/recording-runner.ts";

const dir = mkdtempSync("/tmp/headroom-dbus-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// ---- a peer: little-endian replies, built byte by byte -------------------------------

function le32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}
function padTo(bytes: number[], n: number) {
  while (bytes.length % n) bytes.push(0);
}
/** METHOD_RETURN (2) with a variant body, or ERROR (3) with a string body. */
function reply(replySerial: number, answer: { sig: "s" | "u" | "t" | "b"; value: string | number | bigint } | { error: string; message: string }): Uint8Array {
  const body: number[] = [];
  const str = (out: number[], s: string) => {
    padTo(out, 4);
    const b = [...new TextEncoder().encode(s)];
    out.push(...le32(b.length), ...b, 0);
  };
  let bodySig: string;
  if ("error" in answer) {
    bodySig = "s";
    str(body, answer.message);
  } else {
    bodySig = "v";
    body.push(1, answer.sig.charCodeAt(0), 0);
    if (answer.sig === "s") str(body, String(answer.value));
    else if (answer.sig === "t") {
      padTo(body, 8);
      const v = BigInt(answer.value);
      for (let i = 0n; i < 8n; i++) body.push(Number((v >> (8n * i)) & 0xffn));
    } else {
      padTo(body, 4);
      body.push(...le32(Number(answer.value)));
    }
  }
  const h: number[] = [0x6c, "error" in answer ? 3 : 2, 1, 1, ...le32(body.length), ...le32(900 + replySerial), 0, 0, 0, 0];
  const start = h.length;
  padTo(h, 8);
  h.push(5, 1, "u".charCodeAt(0), 0, ...le32(replySerial)); // REPLY_SERIAL
  if ("error" in answer) {
    padTo(h, 8);
    h.push(4, 1, "s".charCodeAt(0), 0);
    str(h, answer.error);
  }
  padTo(h, 8);
  h.push(8, 1, "g".charCodeAt(0), 0, bodySig.length, ...[...bodySig].map((c) => c.charCodeAt(0)), 0); // SIGNATURE
  const fieldsLength = h.length - start;
  h.splice(12, 4, ...le32(fieldsLength));
  padTo(h, 8);
  return Uint8Array.from([...h, ...body]);
}

interface PeerOptions {
  auth?: "ok" | "reject" | "silent";
  /** Answers by property name; absent: UnknownProperty. */
  values?: Record<string, Parameters<typeof reply>[1]>;
  /** Split every reply into single bytes (the client must reassemble). */
  trickle?: boolean;
}

/** A unix-socket peer; records the calls it decoded. */
function peer(name: string, opts: PeerOptions) {
  const path = join(dir, name);
  const calls: { path?: string; member?: string; args: string[]; destination?: string }[] = [];
  const server = Bun.listen<{ authed: boolean; buf: Uint8Array }>({
    unix: path,
    socket: {
      open(s) {
        s.data = { authed: false, buf: new Uint8Array(0) };
      },
      data(s, chunk) {
        const st = s.data;
        const joined = new Uint8Array(st.buf.length + chunk.length);
        joined.set(st.buf);
        joined.set(chunk, st.buf.length);
        st.buf = joined;
        if (!st.authed) {
          const text = new TextDecoder().decode(st.buf);
          if (!text.includes("\r\n")) return;
          expect(text.startsWith(`\0AUTH EXTERNAL ${Buffer.from(String(process.getuid?.() ?? 0)).toString("hex")}\r\n`)).toBe(true);
          if (opts.auth === "silent") return;
          if (opts.auth === "reject") return void s.write("REJECTED EXTERNAL\r\n");
          s.write("OK 0123456789abcdef0123456789abcdef\r\n");
          st.authed = true;
          st.buf = st.buf.slice(text.indexOf("\r\n") + 2);
        }
        if (new TextDecoder().decode(st.buf.subarray(0, 7)) === "BEGIN\r\n") st.buf = st.buf.slice(7);
        for (;;) {
          const len = messageLength(st.buf);
          if (len === null || st.buf.length < len) return;
          const m = st.buf.subarray(0, len);
          st.buf = st.buf.slice(len);
          const view = new DataView(m.buffer, m.byteOffset, m.length);
          const serial = view.getUint32(8, true);
          // Read the call's header fields and two string arguments by hand.
          const fields: Record<number, string> = {};
          let at = 16;
          const end = 16 + view.getUint32(12, true);
          const readStr = () => {
            at = Math.ceil(at / 4) * 4;
            const n = view.getUint32(at, true);
            const v = new TextDecoder().decode(m.subarray(at + 4, at + 4 + n));
            at += 4 + n + 1;
            return v;
          };
          while (at < end) {
            at = Math.ceil(at / 8) * 8;
            const code = m[at]!;
            const sig = String.fromCharCode(m[at + 2]!);
            at += 4;
            if (sig === "g") {
              const n = m[at]!;
              fields[code] = new TextDecoder().decode(m.subarray(at + 1, at + 1 + n));
              at += n + 2;
            } else fields[code] = readStr();
          }
          at = Math.ceil(at / 8) * 8;
          const args = fields[8] === "ss" ? [readStr(), readStr()] : [];
          calls.push({ path: fields[1], member: fields[3], destination: fields[6], args });
          const answer = opts.values?.[args[1]!] ?? { error: "org.freedesktop.DBus.Error.UnknownProperty", message: `Unknown property ${args[1]}` };
          const bytes = reply(serial, answer);
          if (opts.trickle) for (const b of bytes) s.write(Uint8Array.of(b));
          else s.write(bytes);
        }
      },
    },
  });
  return { path, calls, stop: () => server.stop(true) };
}

const systemdLike: PeerOptions["values"] = {
  LoadState: { sig: "s", value: "loaded" },
  ActiveState: { sig: "s", value: "active" },
  SubState: { sig: "s", value: "running" },
  UnitFileState: { sig: "s", value: "enabled" },
  MainPID: { sig: "u", value: 4321 },
  NRestarts: { sig: "u", value: 3 },
  Result: { sig: "s", value: "success" },
};

describe("D-Bus wire format", () => {
  test("a method call decodes to what was encoded", () => {
    const bytes = encodeMethodCall(7, { path: "/a/b", iface: "org.freedesktop.DBus.Properties", member: "Get", destination: "x.y", args: ["i.f", "Prop"] });
    // The body (two strings) follows the header, which is padded to 8 bytes.
    expect(new TextDecoder().decode(bytes.subarray(-5))).toBe("Prop\0");
    expect((bytes.length - (4 + 4 + 4 + 5)) % 8).toBe(0);
    expect(messageLength(bytes)).toBe(bytes.length);
    const m = decodeMessage(bytes);
    expect(m).toMatchObject({ type: 1, signature: "ss", value: "i.f" });
  });

  test("replies decode: strings, integers, 64-bit integers, booleans, errors", () => {
    expect(decodeMessage(reply(1, { sig: "s", value: "active" }))).toMatchObject({ type: 2, replySerial: 1, value: "active" });
    expect(decodeMessage(reply(2, { sig: "u", value: 4_000_000_000 })).value).toBe(4_000_000_000);
    expect(decodeMessage(reply(3, { sig: "t", value: 2n ** 63n + 5n })).value).toBe(2n ** 63n + 5n);
    expect(decodeMessage(reply(4, { sig: "b", value: 1 })).value).toBe(true);
    expect(decodeMessage(reply(5, { error: "org.x.Err", message: "why" }))).toMatchObject({ type: 3, replySerial: 5, errorName: "org.x.Err", value: "why" });
  });

  test("an incomplete header has no length yet; a foreign byte order mark is refused", () => {
    expect(messageLength(new Uint8Array(10))).toBeNull();
    expect(() => messageLength(Uint8Array.from({ length: 16 }, () => 0x7a))).toThrow("not a D-Bus message");
  });
});

describe("getProperties against a peer", () => {
  test("every property is asked in one exchange and answered in order, reassembled from single bytes", async () => {
    const p = peer("trickle", { values: systemdLike, trickle: true });
    try {
      const r = await getProperties(p.path, "/org/x", [{ iface: "i.Unit", name: "ActiveState" }, { iface: "i.Service", name: "MainPID" }, { iface: "i.Service", name: "Nope" }], { destination: "org.freedesktop.systemd1" });
      expect(r[0]).toBe("active");
      expect(r[1]).toBe(4321);
      expect(r[2]).toEqual({ error: "org.freedesktop.DBus.Error.UnknownProperty", message: "Unknown property Nope" });
      expect(p.calls).toEqual([
        { path: "/org/x", member: "Get", destination: "org.freedesktop.systemd1", args: ["i.Unit", "ActiveState"] },
        { path: "/org/x", member: "Get", destination: "org.freedesktop.systemd1", args: ["i.Service", "MainPID"] },
        { path: "/org/x", member: "Get", destination: "org.freedesktop.systemd1", args: ["i.Service", "Nope"] },
      ]);
    } finally {
      p.stop();
    }
  });

  test("refused authentication, silence, and a missing socket each end in an error", async () => {
    const rejecting = peer("reject", { auth: "reject" });
    const silent = peer("silent", { auth: "silent" });
    try {
      const q = [{ iface: "i", name: "x" }];
      await expect(getProperties(rejecting.path, "/o", q, { destination: "d" })).rejects.toThrow("authentication refused: REJECTED EXTERNAL");
      const t0 = performance.now();
      await expect(getProperties(silent.path, "/o", q, { destination: "d", timeoutMs: 150 })).rejects.toThrow("within 150 ms");
      expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
      await expect(getProperties(join(dir, "absent"), "/o", q, { destination: "d" })).rejects.toThrow();
    } finally {
      rejecting.stop();
      silent.stop();
    }
  });
});

describe("systemd's view of a unit", () => {
  test("object paths escape every byte but letters and non-leading digits", () => {
    expect(unitObjectPath("headroom-work.service")).toBe("/org/freedesktop/systemd1/unit/headroom_2dwork_2eservice");
    expect(unitObjectPath("1a_b.timer")).toBe("/org/freedesktop/systemd1/unit/_31a_5fb_2etimer");
    expect(unitObjectPath("")).toBe("/org/freedesktop/systemd1/unit/_");
  });

  test("services and timers are asked the properties their type has", () => {
    expect(statusProperties("x.service").map((p) => p.name)).toEqual(["LoadState", "ActiveState", "SubState", "UnitFileState", "MainPID", "NRestarts", "Result", "ExecMainStartTimestampMonotonic"]);
    expect(statusProperties("x.timer").map((p) => `${p.iface.split(".").pop()}.${p.name}`)).toEqual(["Unit.LoadState", "Unit.ActiveState", "Unit.SubState", "Unit.UnitFileState", "Timer.Result"]);
  });

  test("the private socket: the user manager's under XDG_RUNTIME_DIR; the system manager's only for root", () => {
    expect(privateSocket("user", { XDG_RUNTIME_DIR: "/run/user/1000" }, false)).toBe("/run/user/1000/systemd/private");
    expect(privateSocket("user", {}, false)).toBeNull();
    expect(privateSocket("system", {}, true)).toBe("/run/systemd/private");
    expect(privateSocket("system", {}, false)).toBeNull();
  });

  test("answers come back as systemctl show prints them; a Unit property the peer cannot give is a failure", async () => {
    const good = peer("good", { values: systemdLike });
    const broken = peer("broken", { values: { ...systemdLike, ActiveState: undefined! } });
    try {
      expect(await showUnitOverBus(good.path, "headroom-p.service")).toEqual({ LoadState: "loaded", ActiveState: "active", SubState: "running", UnitFileState: "enabled", MainPID: "4321", NRestarts: "3", Result: "success" });
      expect(good.calls[0]!.path).toBe("/org/freedesktop/systemd1/unit/headroom_2dp_2eservice");
      await expect(showUnitOverBus(broken.path, "headroom-p.service")).rejects.toThrow("ActiveState: org.freedesktop.DBus.Error.UnknownProperty");
    } finally {
      good.stop();
      broken.stop();
    }
  });

  test("where the socket is not used (a scripted runner), status asks systemctl show for the same properties", async () => {
    const { manifest } = buildManifest({ profile: "p", providers: "manual", targets: ["claude"], port: "18998" }, { HOME: "/tmp" }, "/usr/local/bin/headroom");
    const rr = recordingRunner([
      { match: ["systemctl", "--user", "show"], stdout: "LoadState=loaded\nActiveState=active\nSubState=running\nUnitFileState=enabled\nMainPID=77\nNRestarts=2\nResult=success\n" },
    ]);
    const ctx = makeContext(manifest, { env: { HOME: "/tmp", PATH: "/nonexistent", XDG_RUNTIME_DIR: dir, USER: "nobody-here" }, run: rr.run, os: "linux" });
    const st = await systemdService().status(ctx);
    expect(st).toMatchObject({ kind: "systemd", installed: true, running: true, pid: 77, restarts: 2, state: "active (running)" });
    expect(rr.argvs()).toEqual([["systemctl", "--user", "show", "headroom-p.service", "--property=LoadState,ActiveState,SubState,UnitFileState,MainPID,NRestarts,Result,ExecMainStartTimestampMonotonic"]]);
  });
});
