#!/usr/bin/env bun
// Regenerates the real compression corpus: runs real commands on this machine, writes each
// output to bench/corpus/items/<id>.<ext>, and writes bench/corpus/index.json with a question
// about one fact in each output and the strings that must survive compression.
//
//   npx bun bench/corpus/generate.ts             run what is installed, skip the rest
//   npx bun bench/corpus/generate.ts --install   first apt-get install APT_PACKAGES
//   npx bun bench/corpus/generate.ts --only a,b  regenerate only the named items
//
// Commands that cannot run (tool missing, no output) are reported and skipped, never faked.
// Questions and facts are derived from each fresh output, so re-running keeps them true.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import * as fx from "./fixtures.ts";

const HERE = import.meta.dir;
const REPO = resolve(HERE, "../..");
const ITEMS = join(HERE, "items");
const MAX_BYTES = 400 * 1024;
/** Debian packages the --install flag brings in (tree, rg, go; gcc, cargo, pytest, kubectl may already be there). */
export const APT_PACKAGES = ["tree", "ripgrep", "golang-go", "gcc", "cargo", "python3-pytest", "git", "iproute2", "procps"];
/** A public repository fetched as a bare mirror (git --git-dir); absent mirrors skip their items. */
const CITTY = "/work/.mirror/unjs+citty/repo";
const BUN = join(REPO, "node_modules/.bin/bun");
const TSC = join(REPO, "node_modules/.bin/tsc");

interface Ask {
  question: string;
  mustSurvive: string[];
}
interface Spec {
  id: string;
  ext: string;
  shape: string;
  /** Shell command (bash -c); recorded verbatim in the index. */
  command: string;
  cwd?: string;
  /** Executables that must exist, else the item is skipped. */
  needs?: string[];
  /** Files or dirs that must exist, else the item is skipped. */
  paths?: string[];
  setup?: () => void;
  questionAt?: "earlier";
  leaveAlone?: true;
  ask: (text: string) => Ask;
}

// ------------------------------------------------------------------------------ helpers

const lines = (t: string) => t.split("\n");

/** The first line at or after fraction `frac` of the lines that satisfies `ok` (wrapping round). */
function lineAt(text: string, frac: number, ok: (l: string) => boolean = (l) => l.trim() !== ""): string {
  const ls = lines(text);
  const start = Math.floor(ls.length * frac);
  for (let k = 0; k < ls.length; k++) {
    const l = ls[(start + k) % ls.length]!;
    if (ok(l)) return l;
  }
  throw new Error("no matching line");
}

/** Element at fraction `frac` of a list. */
function at<T>(list: T[], frac: number): T {
  if (list.length === 0) throw new Error("empty list");
  return list[Math.min(list.length - 1, Math.floor(list.length * frac))]!;
}

const count = (text: string, s: string) => text.split(s).length - 1;
const unique = (text: string) => (s: string) => count(text, s) === 1;

/** The ls -l style fields of a line: [perms, links, owner, group, size, month, day, time|year, name...]. */
function lsFields(l: string): { size: string; tail: string; name: string } | null {
  const m = /^[-dlcbps][rwxsStT-]{9}[.+@]?\s+\d+\s+\S+\s+\S+\s+((\d+)\s+\S+\s+\d+\s+[\d:]+\s+(.+))$/.exec(l);
  if (!m) return null;
  return { size: m[2]!, tail: m[1]!, name: m[3]! };
}

function which(bin: string): boolean {
  if (bin.includes("/")) return existsSync(bin);
  return Bun.spawnSync(["bash", "-c", `command -v ${bin}`]).exitCode === 0;
}

const ENV = {
  ...process.env,
  LC_ALL: "C.UTF-8",
  LANG: "C.UTF-8",
  TZ: "UTC",
  COLUMNS: "120",
  TERM: "dumb",
  NO_COLOR: "1",
  FORCE_COLOR: "0",
  CARGO_TERM_COLOR: "never",
  GOFLAGS: "-mod=mod",
  GOPROXY: "off",
  GOTOOLCHAIN: "local",
  GOCACHE: join(fx.FIXTURE_ROOT, "go-cache"),
  PYTHONDONTWRITEBYTECODE: "1",
  GIT_PAGER: "cat",
  PAGER: "cat",
};

// ------------------------------------------------------------------------------ the items

const minify = `node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(JSON.stringify(JSON.parse(s))))'`;
const gitJsonl = `node -e 'require("readline").createInterface({input:process.stdin}).on("line",l=>{const [commit,author,email,date,subject]=l.split("\\x1f");console.log(JSON.stringify({commit,author,email,date,subject}))})'`;

const kubeList = `set -e
k() { kubectl create "$@" --dry-run=client -o json; }
{
  for app in billing-api checkout-web search-indexer auth-gateway media-transcoder notifications; do
    case $app in
      billing-api) img=registry.internal/billing-api:2.14.1 r=3 ;;
      checkout-web) img=registry.internal/checkout-web:5.2.0 r=4 ;;
      search-indexer) img=registry.internal/search-indexer:0.9.7 r=2 ;;
      auth-gateway) img=registry.internal/auth-gateway:1.31.4 r=5 ;;
      media-transcoder) img=registry.internal/media-transcoder:3.0.0-rc.2 r=1 ;;
      notifications) img=registry.internal/notifications:7.8.12 r=2 ;;
    esac
    k namespace "$app"
    k deployment "$app" -n "$app" --image="$img" --replicas="$r" --port=8080
    k service clusterip "$app" -n "$app" --tcp=80:8080
    k serviceaccount "$app" -n "$app"
    k rolebinding "$app-reader" -n "$app" --clusterrole=view --serviceaccount="$app:$app"
    k quota "$app" -n "$app" --hard=cpu=4,memory=8Gi,pods=20
    k secret generic "$app-tokens" -n "$app" --from-literal=API_TOKEN=not-a-real-token
    k poddisruptionbudget "$app" -n "$app" --selector=app="$app" --min-available=1
    k ingress "$app" -n "$app" --rule="$app.example.internal/*=$app:80"
    k cronjob "$app-cleanup" -n "$app" --image="$img" --schedule="17 3 * * *"
  done
  k configmap os-release -n billing-api --from-file=/etc/os-release --from-file=/etc/protocols
  k configmap nsswitch -n auth-gateway --from-file=/etc/nsswitch.conf --from-file=/etc/host.conf
} | jq -s '{apiVersion: "v1", kind: "List", items: .}'`;

const kustomizeDir = join(fx.FIXTURE_ROOT, "kustomize");
function kustomizeSetup(): void {
  const ky = (args: string) => {
    const r = Bun.spawnSync(["bash", "-c", `kubectl create ${args} --dry-run=client -o yaml`], { env: ENV });
    if (r.exitCode !== 0) throw new Error(`kubectl create ${args}: ${r.stderr.toString()}`);
    return r.stdout.toString();
  };
  const files: Record<string, string> = {};
  const resources: string[] = [];
  const apps = ["orders", "payments", "inventory", "shipping", "reviews", "recommendations", "gateway", "accounts"];
  apps.forEach((app, i) => {
    files[`base/${app}-deployment.yaml`] = ky(`deployment ${app} --image=registry.internal/${app}:1.${i}.${i * 3} --replicas=${(i % 3) + 1} --port=${8000 + i}`);
    files[`base/${app}-service.yaml`] = ky(`service clusterip ${app} --tcp=80:${8000 + i}`);
    resources.push(`${app}-deployment.yaml`, `${app}-service.yaml`);
  });
  files["base/kustomization.yaml"] = `resources:\n${resources.map((r) => `  - ${r}`).join("\n")}\n`;
  files["overlays/prod/kustomization.yaml"] = `resources:
  - ../../base
namePrefix: prod-
namespace: shop-prod
labels:
  - pairs:
      env: prod
      team: commerce
    includeSelectors: true
images:
  - name: registry.internal/payments
    newTag: 1.1.7-hotfix.2
  - name: registry.internal/gateway
    newName: registry.internal/edge-gateway
    newTag: 2.0.1
replicas:
  - name: orders
    count: 6
  - name: recommendations
    count: 9
configMapGenerator:
  - name: shop-settings
    literals:
      - CURRENCY=EUR
      - ORDER_TIMEOUT_SECONDS=45
      - RECOMMENDER_MODEL=als-2024-05
    files:
      - /etc/os-release
secretGenerator:
  - name: payments-keys
    literals:
      - STRIPE_WEBHOOK_SECRET=whsec_not_a_real_secret
`;
  // configMapGenerator file paths must be inside the kustomization; copy the real file in.
  files["overlays/prod/kustomization.yaml"] = files["overlays/prod/kustomization.yaml"]!.replace("/etc/os-release", "os-release");
  files["overlays/prod/os-release"] = readFileSync("/etc/os-release", "utf8");
  fx.writeFixture("kustomize", files);
}

function jsonTimeAsk(minified: boolean, pkg: string) {
  return (text: string): Ask => {
    const data = JSON.parse(text);
    const keys = Object.keys(data.time).filter((k) => k !== "created" && k !== "modified");
    const v = at(keys, 0.58);
    const sep = minified ? ":" : ": ";
    return {
      question: `According to the npm view output, when was ${pkg} version ${v} published?`,
      mustSurvive: [`"${v}"${sep}"${data.time[v]}"`],
    };
  };
}

const SPECS: Spec[] = [
  // ---------------------------------------------------------------- JSON
  {
    id: "npm-view-typescript",
    ext: "json",
    shape: "json-nested",
    command: "npm view typescript --json",
    needs: ["npm"],
    ask: jsonTimeAsk(false, "typescript"),
  },
  {
    id: "npm-view-eslint-minified",
    ext: "json",
    shape: "json-minified",
    command: `npm view eslint --json | ${minify}`,
    needs: ["npm", "node"],
    questionAt: "earlier",
    ask: jsonTimeAsk(true, "eslint"),
  },
  {
    id: "npm-view-types-node-versions",
    ext: "json",
    shape: "json-array",
    command: "npm view @types/node versions --json",
    needs: ["npm"],
    ask: (text) => {
      const vs: string[] = JSON.parse(text);
      const i = Math.floor(vs.length * 0.47);
      return {
        question: `In the list of @types/node versions, which version comes right after ${vs[i]}?`,
        mustSurvive: [`"${vs[i]}"`, `"${vs[i + 1]}"`],
      };
    },
  },
  {
    id: "npm-ls-all-long",
    ext: "json",
    shape: "json-nested",
    command: "npm ls --json --all --long",
    cwd: REPO,
    needs: ["npm"],
    ask: (text) => {
      const root = JSON.parse(text);
      const found: { parent: string; name: string; version: string }[] = [];
      for (const [pname, p] of Object.entries<any>(root.dependencies ?? {}))
        for (const [name, d] of Object.entries<any>(p.dependencies ?? {})) if (d.version) found.push({ parent: pname, name, version: d.version });
      const f = at(found, 0.5);
      return {
        question: `Which version of ${f.name} does npm ls show under ${f.parent}?`,
        mustSurvive: [`"${f.parent}": {`, `"${f.name}": {`, `"version": "${f.version}"`],
      };
    },
  },
  {
    id: "npm-query-all",
    ext: "json",
    shape: "json-array",
    command: "npm query '*'",
    cwd: REPO,
    needs: ["npm"],
    questionAt: "earlier",
    ask: (text) => {
      const pkgs: any[] = JSON.parse(text);
      const withLicense = pkgs.filter((p) => typeof p.license === "string" && p.location?.startsWith("node_modules/") && unique(text)(`"location": "${p.location}"`));
      const p = at(withLicense, 0.6);
      return {
        question: `What license does npm query report for the package at ${p.location}?`,
        mustSurvive: [`"location": "${p.location}"`, `"license": "${p.license}"`],
      };
    },
  },
  {
    id: "kubectl-list",
    ext: "json",
    shape: "json-nested",
    command: kubeList,
    needs: ["kubectl", "jq"],
    ask: (text) => {
      const list = JSON.parse(text);
      const deps: any[] = list.items.filter((o: any) => o.kind === "Deployment");
      const d = at(deps, 0.55);
      const image = d.spec.template.spec.containers[0].image;
      return {
        question: `In this kubectl List, which container image does the Deployment ${d.metadata.name} run?`,
        mustSurvive: [`"image": "${image}"`],
      };
    },
  },
  {
    id: "kustomize-prod-yaml",
    ext: "yaml",
    shape: "yaml",
    command: `kubectl kustomize ${join(kustomizeDir, "overlays/prod")}`,
    setup: kustomizeSetup,
    needs: ["kubectl"],
    questionAt: "earlier",
    ask: (text) => {
      const m = /image: (registry\.internal\/payments:\S+)/.exec(text)!;
      const r = /name: prod-recommendations\n(?:.*\n)*?spec:\n  replicas: (\d+)/.exec(text);
      void r;
      return {
        question: "Which image tag does the kustomize build of the prod overlay give the payments deployment?",
        mustSurvive: [`image: ${m[1]}`, "name: prod-payments"],
      };
    },
  },
  {
    id: "findmnt-json",
    ext: "json",
    shape: "json-array",
    command: "findmnt -J -R -o TARGET,SOURCE,FSTYPE,OPTIONS,PROPAGATION /sys",
    needs: ["findmnt"],
    ask: (text) => {
      const flat: any[] = [];
      const walk = (fs: any[]) => fs.forEach((f) => (flat.push(f), walk(f.children ?? [])));
      walk(JSON.parse(text).filesystems);
      const f = at(flat.filter((x) => unique(text)(`"target": "${x.target}"`)), 0.6);
      return {
        question: `Which mount options does findmnt show for ${f.target}?`,
        mustSurvive: [`"target": "${f.target}"`, `"options": "${f.options}"`],
      };
    },
  },
  {
    id: "ip-addr-json",
    ext: "json",
    shape: "json-minified",
    command: "ip -j -d -s addr show",
    needs: ["ip"],
    ask: (text) => {
      const ifs: any[] = JSON.parse(text);
      const i = ifs.find((x) => x.ifname !== "lo" && x.addr_info?.length > 1) ?? ifs[ifs.length - 1];
      const a = i.addr_info[i.addr_info.length > 1 ? 1 : 0];
      return {
        question: `Which ${a.family === "inet6" ? "IPv6" : "IPv4"} address with prefix length ${a.prefixlen} does ip show on interface ${i.ifname}?`,
        mustSurvive: [`"ifname":"${i.ifname}"`, `"local":"${a.local}","prefixlen":${a.prefixlen}`],
      };
    },
  },
  // ---------------------------------------------------------------- JSON Lines
  {
    id: "git-log-jsonl-citty",
    ext: "jsonl",
    shape: "jsonl",
    command: `git --git-dir=${CITTY} log --date=iso-strict --format='%H%x1f%an%x1f%ae%x1f%aI%x1f%s' | ${gitJsonl}`,
    paths: [CITTY],
    needs: ["git", "node"],
    ask: (text) => {
      const recs = lines(text).filter(Boolean).map((l) => JSON.parse(l));
      const r = at(recs.filter((x) => unique(text)(`"subject":${JSON.stringify(x.subject)}`)), 0.45);
      return {
        question: `Which commit hash and date has the subject ${JSON.stringify(r.subject)}?`,
        mustSurvive: [`"commit":"${r.commit}"`, `"subject":${JSON.stringify(r.subject)}`],
      };
    },
  },
  {
    id: "cargo-build-json",
    ext: "jsonl",
    shape: "jsonl",
    command: "cargo build --offline --message-format=json 2>/dev/null",
    cwd: join(fx.FIXTURE_ROOT, "cargo-broken"),
    setup: () => void fx.writeFixture("cargo-broken", fx.cargoBroken),
    needs: ["cargo"],
    questionAt: "earlier",
    ask: (text) => {
      const msgs = lines(text).filter(Boolean).map((l) => JSON.parse(l)).filter((m) => m.reason === "compiler-message" && m.message.code);
      const m = msgs.find((x) => x.message.code.code === "E0308") ?? at(msgs, 0.5);
      const span = m.message.spans.find((s: any) => s.is_primary);
      return {
        question: `On which line of src/main.rs does cargo report the error "${m.message.message}"?`,
        mustSurvive: [`"message":${JSON.stringify(m.message.message)}`, `"line_start":${span.line_start}`],
      };
    },
  },
  // ---------------------------------------------------------------- logs
  {
    id: "dpkg-log-tail",
    ext: "log",
    shape: "log",
    command: "tail -n 1500 /var/log/dpkg.log",
    paths: ["/var/log/dpkg.log"],
    ask: (text) => {
      const l = lineAt(text, 0.45, (x) => / status installed \S+ \S+$/.test(x) && count(text, ` status installed ${x.split(" ").at(-2)} `) === 1);
      const [date, time, , , pkg, version] = l.split(" ");
      return { question: `When did dpkg log ${pkg} reaching status installed, and at which version?`, mustSurvive: [`${date} ${time} status installed ${pkg} ${version}`] };
    },
  },
  // ---------------------------------------------------------------- tables
  {
    id: "dpkg-l",
    ext: "txt",
    shape: "table",
    command: "dpkg -l",
    needs: ["dpkg"],
    ask: (text) => {
      const l = lineAt(text, 0.55, (x) => x.startsWith("ii "));
      const [, name, version] = l.split(/\s+/);
      return { question: `Which version of ${name} does dpkg -l show as installed?`, mustSurvive: [`ii  ${name} `, version!] };
    },
  },
  {
    // Kernel threads only: the full process list would record this machine's unrelated processes.
    id: "ps-kernel-threads",
    ext: "txt",
    shape: "table",
    command: "ps -o user,pid,ppid,pri,ni,psr,stat,wchan:32,start,time,comm --ppid 2 -p 2",
    needs: ["ps"],
    questionAt: "earlier",
    ask: (text) => {
      const rows = lines(text).slice(1).filter(Boolean).map((l) => l.trim().split(/\s+/));
      const r = at(rows.filter((x) => count(text, ` ${x[10]}\n`) === 1 && count(text, ` ${x[1]} `) === 1), 0.5);
      return { question: `What is the PID of the kernel thread ${r[10]}, and which CPU (PSR) is it on?`, mustSurvive: [` ${r[10]}`, r[1]!] };
    },
  },
  {
    id: "ls-l-usr-bin",
    ext: "txt",
    shape: "table",
    command: "ls -l /usr/bin",
    needs: ["ls"],
    ask: (text) => {
      const cands = lines(text).map((l) => ({ l, f: lsFields(l) })).filter((x) => x.f && !x.l.startsWith("l") && unique(text)(x.f.tail));
      const c = at(cands, 0.62);
      return { question: `How big is /usr/bin/${c.f!.name} according to ls -l?`, mustSurvive: [c.f!.tail] };
    },
  },
  {
    id: "df-all",
    ext: "txt",
    shape: "table",
    command: "df -aT -B1 -x tmpfs",
    needs: ["df"],
    ask: (text) => {
      const rows = lines(text).slice(1).filter(Boolean).map((l) => l.split(/\s+/));
      const rows2 = lines(text).slice(1).filter((l) => l.trim() !== "" && unique(text)(l));
      const l = at(rows2.filter((x) => Number(x.split(/\s+/)[2]) > 0), 0.5);
      const r = l.split(/\s+/);
      void rows;
      return { question: `How many bytes are available on the filesystem mounted on ${r[6]}, according to df?`, mustSurvive: [l] };
    },
  },
  {
    id: "dpkg-query-csv",
    ext: "csv",
    shape: "csv",
    command: `(echo 'package,version,architecture,installed_size_kb,maintainer'; dpkg-query -W -f='"\${Package}","\${Version}","\${Architecture}",\${Installed-Size},"\${Maintainer}"\\n')`,
    needs: ["dpkg-query"],
    ask: (text) => {
      const l = lineAt(text, 0.4, (x) => x.startsWith('"'));
      const m = /^"([^"]*)","[^"]*","[^"]*",\d*/.exec(l)!;
      return { question: `What installed size (KB) does the CSV give for package ${m[1]}?`, mustSurvive: [m[0]] };
    },
  },
  {
    id: "shared-libs-tsv",
    ext: "tsv",
    shape: "tsv",
    command: `(printf 'file\\tbytes\\tmodified\\tmode\\n'; find /usr/lib/x86_64-linux-gnu -maxdepth 1 -type f -name '*.so*' -printf '%f\\t%s\\t%TY-%Tm-%Td\\t%m\\n' | sort)`,
    needs: ["find"],
    questionAt: "earlier",
    ask: (text) => {
      const l = lineAt(text, 0.5, (x) => x.includes(".so"));
      const [file, bytes] = l.split("\t");
      return { question: `How many bytes is ${file} in the TSV listing?`, mustSurvive: [`${file}\t${bytes}\t`] };
    },
  },
  // ---------------------------------------------------------------- hierarchical listings
  {
    id: "ls-laR-typescript",
    ext: "txt",
    shape: "listing-recursive",
    command: "ls -laR node_modules/typescript",
    cwd: REPO,
    ask: (text) => {
      // A file whose name repeats across directories, so only the section header tells which one.
      const sections = text.split("\n\n").map((s) => ({ head: s.split("\n")[0]!, body: s.split("\n").slice(1) }));
      const cands: { dir: string; f: NonNullable<ReturnType<typeof lsFields>> }[] = [];
      for (const s of sections.slice(1)) {
        for (const l of s.body) {
          const f = lsFields(l);
          if (f && l.startsWith("-") && count(text, ` ${f.name}\n`) > 1 && unique(text)(f.tail)) cands.push({ dir: s.head.replace(/:$/, ""), f });
        }
      }
      const c = at(cands, 0.55);
      return {
        question: `What size does ls -laR show for ${c.f.name} in the directory ${c.dir}?`,
        mustSurvive: [`${c.dir}:`, c.f.tail],
      };
    },
  },
  {
    id: "find-ls-perl5",
    ext: "txt",
    shape: "listing-recursive",
    command: "find /usr/share/perl5 -ls",
    paths: ["/usr/share/perl5"],
    ask: (text) => {
      const l = lineAt(text, 0.6, (x) => x.endsWith(".pm"));
      const f = l.trim().split(/\s+/);
      const path = f[f.length - 1]!;
      return { question: `How many bytes is ${path} according to find -ls?`, mustSurvive: [path, f[6]!] };
    },
  },
  {
    id: "find-type-f-node-modules",
    ext: "txt",
    shape: "listing-flat",
    command: "find node_modules -type f | sort",
    cwd: REPO,
    ask: (text) => {
      const l = lineAt(text, 0.52, (x) => x.split("/").length >= 5);
      const base = l.split("/").pop()!;
      const pkgDir = l.split("/").slice(0, l.startsWith("node_modules/@") ? 3 : 2).join("/");
      return { question: `Where exactly is the file ${base} inside ${pkgDir}? Give its full path.`, mustSurvive: [l] };
    },
  },
  {
    id: "tree-usr-share-doc",
    ext: "txt",
    shape: "tree",
    command: "tree -h /usr/share/doc",
    needs: ["tree"],
    questionAt: "earlier",
    ask: (text) => {
      const ls = lines(text);
      const i = Math.floor(ls.length * 0.5);
      let j = i;
      while (j < ls.length && !/^[│ ]\s{3}[├└]── \[[^\]]*\]\s+\S+$/.test(ls[j]!)) j++;
      let k = j;
      while (k > 0 && !/^[├└]── /.test(ls[k]!)) k--;
      const pkg = ls[k]!.replace(/^[├└]── (\[[^\]]*\]\s+)?/, "");
      const name = ls[j]!.replace(/^.*\]\s+/, "");
      const size = /\[\s*([^\]]+)\]/.exec(ls[j]!)![1]!.trim();
      void size;
      return { question: `How large is ${name} in the ${pkg} directory of the tree listing?`, mustSurvive: [ls[k]!, ls[j]!.replace(/^[│ ]\s{3}[├└]── /, "")] };
    },
  },
  // ---------------------------------------------------------------- git
  {
    id: "git-log-stat-citty",
    ext: "txt",
    shape: "git-log",
    command: `git --git-dir=${CITTY} log --stat -n 300`,
    paths: [CITTY],
    needs: ["git"],
    ask: (text) => gitStatAsk(text),
  },
  {
    id: "git-log-main",
    ext: "txt",
    shape: "git-log",
    command: "git log -n 150",
    cwd: REPO,
    needs: ["git"],
    questionAt: "earlier",
    ask: (text) => {
      const commits = text.split(/^commit /m).slice(1);
      const c = at(commits, 0.5);
      const hash = c.slice(0, 40);
      const subject = c.split("\n\n")[1]!.trim().split("\n")[0]!.trim();
      return { question: `Who wrote the commit "${subject}" and when?`, mustSurvive: [hash, subject] };
    },
  },
  {
    id: "git-log-oneline-main",
    ext: "txt",
    shape: "git-log",
    command: "git log --oneline --decorate",
    cwd: REPO,
    needs: ["git"],
    ask: (text) => {
      const l = lineAt(text, 0.6);
      const [hash, ...rest] = l.split(" ");
      return { question: `What is the short hash of the commit "${rest.join(" ")}"?`, mustSurvive: [l] };
    },
  },
  {
    id: "git-diff-citty",
    ext: "diff",
    shape: "git-diff",
    command: `git --git-dir=${CITTY} diff v0.1.6 v0.2.0 -- . ':(exclude)pnpm-lock.yaml'`,
    paths: [CITTY],
    needs: ["git"],
    ask: (text) => {
      const files = text.split(/^diff --git /m).slice(1);
      const withAdds = files.filter((f) => f.includes("\n+++ b/") && /\n\+[^+]/.test(f));
      const f = at(withAdds, 0.55);
      const name = /\n\+\+\+ b\/(.+)/.exec(f)![1]!;
      const adds = f.split("\n").filter((l) => /^\+[^+]/.test(l) && l.trim().length > 12 && unique(text)(l + "\n"));
      const add = at(adds, 0.5);
      return { question: `In the diff of ${name}, what does the line added containing "${add.slice(1).trim().slice(0, 30)}" say exactly?`, mustSurvive: [`+++ b/${name}`, add] };
    },
  },
  // ---------------------------------------------------------------- search hits
  {
    id: "grep-rn-src",
    ext: "txt",
    shape: "grep",
    command: "grep -rn await src",
    cwd: REPO,
    needs: ["grep"],
    ask: (text) => {
      const hits = lines(text).filter(Boolean);
      const byFile = new Map<string, string[]>();
      for (const h of hits) {
        const f = h.split(":")[0]!;
        byFile.set(f, [...(byFile.get(f) ?? []), h]);
      }
      const busy = [...byFile.entries()].filter(([, hs]) => hs.length >= 4);
      const [file, hs] = at(busy, 0.5);
      const h = at(hs.filter((x) => unique(text)(x.split(":").slice(2).join(":").trim())), 0.5) ?? hs[1]!;
      const code = h.split(":").slice(2).join(":").trim();
      const ln = h.split(":")[1]!;
      return { question: `On which line of ${file} is \`${code}\`?`, mustSurvive: [`${file}:${ln}:`, code] };
    },
  },
  {
    id: "rg-heading-dts",
    ext: "txt",
    shape: "grep",
    command: `rg -n --heading --no-ignore -g '*.d.ts' 'interface \\w+Options' node_modules`,
    cwd: REPO,
    needs: ["rg"],
    questionAt: "earlier",
    ask: (text) => {
      const groups = text.split("\n\n").map((g) => g.split("\n"));
      const g = at(groups.filter((x) => x.length > 4), 0.5);
      const hit = at(g.slice(1).filter((x) => /^\d+:/.test(x) && unique(text)(x.replace(/^\d+:/, ""))), 0.5);
      const name = /interface (\w+Options)/.exec(hit)![1]!;
      return { question: `On which line of ${g[0]} is the interface ${name} declared?`, mustSurvive: [g[0]!, hit] };
    },
  },
  // ---------------------------------------------------------------- test logs
  {
    id: "bun-test-fail",
    ext: "txt",
    shape: "test-log",
    command: `${BUN} test 2>&1`,
    cwd: join(fx.FIXTURE_ROOT, "bun-test"),
    setup: () => void fx.writeFixture("bun-test", fx.bunTest),
    paths: [BUN],
    ask: () => ({
      question: "Which value did the failing splitEvenly test (splits 100 into 3 parts and keeps the total) receive instead of 100?",
      mustSurvive: ["splits 100 into 3 parts and keeps the total", "99.99"],
    }),
  },
  {
    id: "node-test-fail",
    ext: "txt",
    shape: "test-log",
    command: "node --test --test-reporter=spec 2>&1",
    cwd: join(fx.FIXTURE_ROOT, "node-test"),
    setup: () => void fx.writeFixture("node-test", fx.nodeTest),
    needs: ["node"],
    questionAt: "earlier",
    ask: () => ({
      question: "In the failing test 'reports every failed job in push order', what array did drain actually return?",
      mustSurvive: ["reports every failed job in push order", "'invoice-17'"],
    }),
  },
  {
    id: "pytest-fail",
    ext: "txt",
    shape: "test-log",
    command: "python3 -m pytest -v -p no:cacheprovider 2>&1",
    cwd: join(fx.FIXTURE_ROOT, "pytest"),
    setup: () => void fx.writeFixture("pytest", fx.pytestFiles),
    needs: ["python3"],
    ask: () => ({
      question: "Why did test_unknown_sku_is_reported_clearly fail — which exception was raised instead?",
      mustSurvive: ["test_unknown_sku_is_reported_clearly", "KeyError: 'kiwi'"],
    }),
  },
  {
    id: "go-test-fail",
    ext: "txt",
    shape: "test-log",
    command: "go test -v ./... 2>&1",
    cwd: join(fx.FIXTURE_ROOT, "go-test"),
    setup: () => void fx.writeFixture("go-test", fx.goTest),
    needs: ["go"],
    ask: () => ({
      question: "What did Retry() return in TestRetryAtFractionalRate?",
      mustSurvive: ["TestRetryAtFractionalRate", "Retry() at rate 0.3 = 3.333s"],
    }),
  },
  {
    id: "cargo-test-fail",
    ext: "txt",
    shape: "test-log",
    command: "cargo test --offline 2>&1",
    cwd: join(fx.FIXTURE_ROOT, "cargo-test"),
    setup: () => void fx.writeFixture("cargo-test", fx.cargoTest),
    needs: ["cargo"],
    questionAt: "earlier",
    ask: () => ({
      question: "In reports_empty_key_with_line, which line number did parse return?",
      mustSurvive: ["reports_empty_key_with_line", "EmptyKey { line: 1 }"],
    }),
  },
  // ---------------------------------------------------------------- compiler errors
  {
    id: "tsc-strict-errors",
    ext: "txt",
    shape: "compiler-errors",
    command: `${TSC} --noEmit -p . --exactOptionalPropertyTypes --noPropertyAccessFromIndexSignature --noImplicitReturns --noUnusedLocals --noUnusedParameters`,
    cwd: REPO,
    paths: [TSC],
    ask: (text) => {
      const errs = lines(text).filter((l) => /^src\/.*\(\d+,\d+\): error TS\d+/.test(l) && unique(text)(l));
      const e = at(errs, 0.5);
      const m = /^(.*?)\((\d+),(\d+)\): error (TS\d+)/.exec(e)!;
      return { question: `Which tsc error code is reported at line ${m[2]} of ${m[1]}?`, mustSurvive: [`${m[1]}(${m[2]},${m[3]}): error ${m[4]}`] };
    },
  },
  {
    id: "gcc-errors",
    ext: "txt",
    shape: "compiler-errors",
    command: "gcc -Wall -Wextra -std=c11 -c ledger.c -o /dev/null 2>&1",
    cwd: join(fx.FIXTURE_ROOT, "gcc"),
    setup: () => void fx.writeFixture("gcc", fx.gccFiles),
    needs: ["gcc"],
    questionAt: "earlier",
    ask: (text) => {
      const l = lineAt(text, 0.5, (x) => /^ledger\.c:\d+:\d+: (error|warning)/.test(x) && unique(text)(x));
      return { question: `What does gcc report at ${l.split(": ")[0]}?`, mustSurvive: [l] };
    },
  },
  // ---------------------------------------------------------------- stack traces
  {
    id: "python-traceback",
    ext: "txt",
    shape: "stack-trace",
    command: "python3 pipeline.py 2>&1",
    cwd: join(fx.FIXTURE_ROOT, "py-traceback"),
    setup: () => void fx.writeFixture("py-traceback", fx.pyTraceback),
    needs: ["python3"],
    ask: () => ({
      question: "Which value failed to convert in validate_retry_policy, and which stage was reported invalid?",
      mustSurvive: ["invalid literal for int() with base 10: 'three'", "invalid stage 'deploy-eu-west'"],
    }),
  },
  {
    id: "node-stack-trace",
    ext: "txt",
    shape: "stack-trace",
    command: "node --stack-trace-limit=200 resolve.js 2>&1",
    cwd: join(fx.FIXTURE_ROOT, "node-traceback"),
    setup: () => void fx.writeFixture("node-traceback", fx.nodeTraceback),
    needs: ["node"],
    questionAt: "earlier",
    ask: (text) => ({
      question: "Which package had the invalid semver range, and at which line of resolve.js was the RangeError thrown?",
      mustSurvive: ['invalid semver range "~banana" for pkg-40', /resolve\.js:\d+:\d+/.exec(text)![0]],
    }),
  },
  // ---------------------------------------------------------------- leave alone
  {
    id: "html-bzip2-manual",
    ext: "html",
    shape: "html",
    command: "cat /usr/share/doc/bzip2/manual.html",
    paths: ["/usr/share/doc/bzip2/manual.html"],
    leaveAlone: true,
    ask: () => ({
      question: "According to the bzip2 manual, how many bytes per block byte does decompression need with -s --small?",
      mustSurvive: ["-s --small", "2.5 bytes per"],
    }),
  },
  {
    id: "source-ledger-ts",
    // .ts.txt, so the project's tsconfig does not type-check the copy.
    ext: "ts.txt",
    shape: "source-code",
    command: "cat src/proxy/ledger.ts",
    cwd: REPO,
    leaveAlone: true,
    questionAt: "earlier",
    ask: (text) => {
      const fn = at([...text.matchAll(/^export (?:async )?function (\w+)\(/gm)].map((m) => m[0]), 0.5);
      return { question: `What does ${fn.replace(/^export (async )?function /, "").replace("(", "")} in ledger.ts do?`, mustSurvive: [fn] };
    },
  },
  {
    id: "prose-gpl3",
    ext: "txt",
    shape: "prose",
    command: "cat /usr/share/common-licenses/GPL-3",
    paths: ["/usr/share/common-licenses/GPL-3"],
    leaveAlone: true,
    ask: () => ({
      question: "Under section 8 (Termination) of the GPL-3, how many days after notice is a first-time violation cured?",
      mustSurvive: ["you cure the violation prior to 30 days after"],
    }),
  },
];

function gitStatAsk(text: string): Ask {
  const commits = text.split(/^commit /m).slice(1).map((c) => ({ hash: c.slice(0, 40), body: c }));
  const touched = new Map<string, string[]>();
  for (const c of commits) {
    for (const l of c.body.split("\n")) {
      const m = /^ (\S.*?)\s+\|\s+\d+/.exec(l);
      if (m) touched.set(m[1]!, [...(touched.get(m[1]!) ?? []), c.hash]);
    }
  }
  const once = commits.map((c, i) => ({ c, i, files: [...touched.entries()].filter(([f, hs]) => hs.length === 1 && hs[0] === c.hash && !f.includes("...")).map(([f]) => f) })).filter((x) => x.files.length > 0);
  const pick = at(once, 0.5);
  const file = pick.files[0]!;
  const statLine = pick.c.body.split("\n").find((l) => l.startsWith(` ${file} `))!;
  return {
    question: `Which commit touched ${file}, and how many lines changed in it?`,
    mustSurvive: [pick.c.hash, statLine.trim()],
  };
}

// ------------------------------------------------------------------------------ main

interface IndexEntry {
  id: string;
  file: string;
  shape: string;
  command: string;
  question: string;
  mustSurvive: string[];
  questionAt: "last" | "earlier";
  leaveAlone?: true;
}

function main(): void {
  const args = process.argv.slice(2);
  const onlyArg = args.indexOf("--only");
  const only = onlyArg >= 0 ? new Set(args[onlyArg + 1]!.split(",")) : null;
  if (args.includes("--install")) {
    console.log(`installing: ${APT_PACKAGES.join(" ")}`);
    const r = Bun.spawnSync(["bash", "-c", `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ${APT_PACKAGES.join(" ")}`], { stdout: "inherit", stderr: "inherit" });
    if (r.exitCode !== 0) console.error("apt-get install failed; continuing with what is there");
  }
  mkdirSync(ITEMS, { recursive: true });
  mkdirSync(fx.FIXTURE_ROOT, { recursive: true });
  const indexPath = join(HERE, "index.json");
  const previous: IndexEntry[] = only && existsSync(indexPath) ? JSON.parse(readFileSync(indexPath, "utf8")) : [];
  const out = new Map<string, IndexEntry>(previous.map((e) => [e.id, e]));
  const skipped: string[] = [];

  for (const s of SPECS) {
    if (only && !only.has(s.id)) continue;
    const missing = [...(s.needs ?? []).filter((b) => !which(b)), ...(s.paths ?? []).filter((p) => !existsSync(p))];
    if (missing.length) {
      skipped.push(`${s.id}: missing ${missing.join(", ")}`);
      out.delete(s.id);
      continue;
    }
    try {
      s.setup?.();
      const r = Bun.spawnSync(["bash", "-c", s.command], { cwd: s.cwd ?? REPO, env: ENV, stdout: "pipe", stderr: "pipe" });
      const text = r.stdout.toString();
      if (text.trim() === "") throw new Error(`no output (exit ${r.exitCode}): ${r.stderr.toString().slice(0, 300)}`);
      if (text.length > MAX_BYTES) throw new Error(`output is ${text.length} bytes, over the ${MAX_BYTES} cap: narrow the command`);
      const ask = s.ask(text);
      for (const m of ask.mustSurvive) if (!text.includes(m)) throw new Error(`mustSurvive not in output: ${JSON.stringify(m)}`);
      const file = `items/${s.id}.${s.ext}`;
      writeFileSync(join(HERE, file), text);
      out.set(s.id, {
        id: s.id,
        file,
        shape: s.shape,
        command: s.cwd && s.cwd !== REPO ? `cd ${s.cwd} && ${s.command}` : s.command,
        question: ask.question,
        mustSurvive: [...new Set(ask.mustSurvive)],
        questionAt: s.questionAt ?? "last",
        ...(s.leaveAlone ? { leaveAlone: true as const } : {}),
      });
      console.log(`ok   ${s.id.padEnd(30)} ${(text.length / 1024).toFixed(1).padStart(7)} KB  exit ${r.exitCode}`);
    } catch (e) {
      skipped.push(`${s.id}: ${(e as Error).message}`);
      out.delete(s.id);
    }
  }
  const order = new Map(SPECS.map((s, i) => [s.id, i]));
  const entries = [...out.values()].filter((e) => order.has(e.id)).sort((a, b) => order.get(a.id)! - order.get(b.id)!);
  // Items no longer produced are removed so the index and the files agree.
  for (const s of SPECS) if (!out.has(s.id) && !only) rmSync(join(HERE, `items/${s.id}.${s.ext}`), { force: true });
  writeFileSync(indexPath, JSON.stringify(entries, null, 2) + "\n");
  const total = entries.reduce((n, e) => n + readFileSync(join(HERE, e.file), "utf8").length, 0);
  console.log(`\n${entries.length} items, ${(total / 1024).toFixed(0)} KB, ~${Math.round(total / 3.5 / 1000)}k tokens`);
  if (skipped.length) console.log(`skipped:\n  ${skipped.join("\n  ")}`);
  writeReadme(entries);
}

function writeReadme(entries: IndexEntry[]): void {
  const size = (e: IndexEntry) => readFileSync(join(HERE, e.file), "utf8").length;
  const total = entries.reduce((n, e) => n + size(e), 0);
  const cell = (s: string) => s.replace(/\n/g, " ").replace(/\|/g, "\\|").replace(/\s+/g, " ").slice(0, 110);
  const rows = entries.map((e) => `| ${e.id} | ${e.shape}${e.leaveAlone ? " (leave alone)" : ""} | ${(size(e) / 1024).toFixed(1)} | \`${cell(e.command)}\` |`);
  const text = `# Real compression corpus

Outputs of real commands run on this machine — the shapes a coding agent sees in tool results —
each with a question about one fact in it (\`index.json\`: \`question\`, \`mustSurvive\`,
\`questionAt\`, \`leaveAlone\`). \`load.ts\` exports \`loadCorpus()\`, which reads the index and the
items and throws if a \`mustSurvive\` string is not in its item.

${entries.length} items, ${(total / 1024).toFixed(0)} KB, about ${Math.round(total / 3.5 / 1000)}k tokens (chars / 3.5).

| id | shape | KB | command |
| --- | --- | ---: | --- |
${rows.join("\n")}

## Regenerate

\`\`\`sh
npx bun bench/corpus/generate.ts             # run what is installed, skip (and report) the rest
npx bun bench/corpus/generate.ts --install   # first: apt-get install ${APT_PACKAGES.join(" ")}
npx bun bench/corpus/generate.ts --only id1,id2
\`\`\`

Fixtures (small test suites with real failures, files with real compile errors, crashing scripts)
are in \`fixtures.ts\` and written to \`${fx.FIXTURE_ROOT}/\` before their command runs. Questions and
\`mustSurvive\` strings are derived from each fresh output (a row or hit picked at a fixed position,
mostly in the middle), so they stay true when a re-run changes the output. Git items read
\`${REPO === "/work/main" ? "." : REPO}\` and a bare mirror of unjs/citty at \`${CITTY}\`; without the mirror those items are skipped.
Commands that fail to run are skipped, never faked; any output over ${MAX_BYTES / 1024} KB is refused.
`;
  writeFileSync(join(HERE, "README.md"), text);
}

if (import.meta.main) main();
