// Small projects the corpus runs real tools on: test suites with genuine failures, source
// files with genuine compiler errors, scripts that genuinely crash. Each fixture is written
// into its own directory under FIXTURE_ROOT before its command runs.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

export const FIXTURE_ROOT = "/tmp/headroom-corpus";

/** Writes `files` (relative path → content) into a fresh FIXTURE_ROOT/<name> and returns it. */
export function writeFixture(name: string, files: Record<string, string>): string {
  const dir = join(FIXTURE_ROOT, name);
  rmSync(dir, { recursive: true, force: true });
  for (const [rel, content] of Object.entries(files)) {
    const path = join(dir, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
  return dir;
}

// ---------------------------------------------------------------------------- bun test

const bunSlug = `import { describe, expect, test } from "bun:test";

export function slugify(s: string): string {
  return s.toLowerCase().normalize("NFKD").replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
}

const cases: [string, string][] = [
  ["Hello World", "hello-world"], ["  padded  ", "padded"], ["Already-slugged", "already-slugged"],
  ["Multiple   spaces", "multiple-spaces"], ["Trailing dash-", "trailing-dash"], ["UPPER case", "upper-case"],
  ["numbers 123 and 456", "numbers-123-and-456"], ["dots.in.names", "dots-in-names"], ["under_score", "under-score"],
  ["Crème brûlée", "creme-brulee"], ["naïve café", "naive-cafe"], ["Zürich Straße", "zurich-strasse"],
];

describe("slugify", () => {
  for (const [input, want] of cases) {
    test(\`slugify(\${JSON.stringify(input)})\`, () => {
      expect(slugify(input)).toBe(want);
    });
  }
});
`;

const bunMoney = `import { describe, expect, test } from "bun:test";

export function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
export function splitEvenly(total: number, parts: number): number[] {
  const each = Math.floor((total * 100) / parts) / 100;
  return Array.from({ length: parts }, () => each);
}

describe("round2", () => {
  for (const [x, want] of [[1.005, 1.01], [2.675, 2.68], [0.125, 0.13], [10, 10], [3.14159, 3.14], [99.999, 100]] as const) {
    test(\`round2(\${x}) is \${want}\`, () => expect(round2(x)).toBe(want));
  }
});

describe("splitEvenly", () => {
  test("splits 10 into 4 parts", () => expect(splitEvenly(10, 4)).toEqual([2.5, 2.5, 2.5, 2.5]));
  test("splits 100 into 3 parts and keeps the total", () => {
    const parts = splitEvenly(100, 3);
    expect(parts.reduce((a, b) => a + b, 0)).toBe(100);
  });
  test("splits 0 into 5 parts", () => expect(splitEvenly(0, 5)).toEqual([0, 0, 0, 0, 0]));
});
`;

const bunCart = `import { describe, expect, test } from "bun:test";

interface Line { sku: string; qty: number; unitCents: number }
export function totalCents(lines: Line[], couponPercent = 0): number {
  const gross = lines.reduce((sum, l) => sum + l.qty * l.unitCents, 0);
  return gross - Math.floor((gross * couponPercent) / 100);
}

describe("cart totals", () => {
  for (let n = 1; n <= 160; n++) {
    test(\`\${n} lines of sku-\${n} at 199 cents\`, () => {
      const lines = Array.from({ length: n }, (_, i) => ({ sku: \`sku-\${i}\`, qty: 1, unitCents: 199 }));
      expect(totalCents(lines)).toBe(n * 199);
    });
  }
  test("coupon of 15 percent on 3 x 1250 cents", () => {
    expect(totalCents([{ sku: "tent", qty: 3, unitCents: 1250 }], 15)).toBe(3188);
  });
  test("coupon of 100 percent makes it free", () => {
    expect(totalCents([{ sku: "mug", qty: 2, unitCents: 900 }], 100)).toBe(0);
  });
});
`;

export const bunTest = { "slug.test.ts": bunSlug, "money.test.ts": bunMoney, "cart.test.ts": bunCart };

// ---------------------------------------------------------------------------- node --test

const nodeQueue = `import { test, describe } from "node:test";
import assert from "node:assert/strict";

class RetryQueue {
  constructor(maxAttempts) { this.maxAttempts = maxAttempts; this.items = []; }
  push(job) { this.items.push({ job, attempts: 0 }); }
  async drain(run) {
    const failed = [];
    for (const item of this.items) {
      while (item.attempts < this.maxAttempts) {
        item.attempts++;
        try { await run(item.job); break; } catch (e) { if (item.attempts >= this.maxAttempts) failed.push(item.job); }
      }
    }
    this.items = [];
    return failed;
  }
}

describe("RetryQueue", () => {
  for (let max = 1; max <= 120; max++) {
    test(\`gives up after \${max} attempts\`, async () => {
      const q = new RetryQueue(max);
      let calls = 0;
      q.push("job-a");
      const failed = await q.drain(async () => { calls++; throw new Error("boom"); });
      assert.deepEqual(failed, ["job-a"]);
      assert.equal(calls, max);
    });
  }
  test("succeeds on the third attempt of job-flaky", async () => {
    const q = new RetryQueue(5);
    let calls = 0;
    q.push("job-flaky");
    const failed = await q.drain(async () => { if (++calls < 3) throw new Error("flaky"); });
    assert.deepEqual(failed, []);
    assert.equal(calls, 3);
  });
  test("reports every failed job in push order", async () => {
    const q = new RetryQueue(2);
    for (const j of ["invoice-17", "invoice-18", "invoice-19"]) q.push(j);
    const failed = await q.drain(async (job) => { if (job !== "invoice-18") throw new Error("down"); });
    assert.deepEqual(failed, ["invoice-19", "invoice-17"]);
  });
});
`;

const nodeParse = `import { test } from "node:test";
import assert from "node:assert/strict";

function parseDuration(s) {
  const m = /^(\\d+)(ms|s|m|h)$/.exec(s);
  if (!m) throw new TypeError("bad duration: " + s);
  const n = Number(m[1]);
  return { ms: 1, s: 1000, m: 60000, h: 3600000 }[m[2]] * n;
}

for (const [input, want] of [["250ms", 250], ["3s", 3000], ["2m", 120000], ["1h", 3600000], ["90s", 90000], ["1.5h", 5400000]]) {
  test(\`parseDuration("\${input}") is \${want}\`, () => {
    assert.equal(parseDuration(input), want);
  });
}

test("parseDuration rejects an empty string", () => {
  assert.throws(() => parseDuration(""), TypeError);
});
`;

export const nodeTest = { "queue.test.mjs": nodeQueue, "parse.test.mjs": nodeParse };

// ---------------------------------------------------------------------------- pytest

const pyInventory = `import pytest
from dataclasses import dataclass


@dataclass
class Item:
    sku: str
    qty: int
    reserved: int = 0

    @property
    def available(self) -> int:
        return self.qty - self.reserved


class Inventory:
    def __init__(self):
        self.items = {}

    def add(self, sku, qty):
        self.items.setdefault(sku, Item(sku, 0)).qty += qty

    def reserve(self, sku, qty):
        item = self.items[sku]
        if qty > item.available:
            raise ValueError(f"only {item.available} of {sku} available")
        item.reserved += qty

    def restock_report(self, threshold):
        return sorted(s for s, i in self.items.items() if i.available < threshold)


@pytest.fixture
def inv():
    inv = Inventory()
    for n, sku in enumerate(["apple", "banana", "cherry", "damson", "elder", "fig", "grape"]):
        inv.add(sku, (n + 1) * 10)
    return inv


@pytest.mark.parametrize("sku,qty", [("apple", 5), ("banana", 20), ("cherry", 30), ("damson", 1), ("fig", 59)])
def test_reserve_within_stock(inv, sku, qty):
    inv.reserve(sku, qty)
    assert inv.items[sku].reserved == qty


def test_reserve_too_many_raises(inv):
    with pytest.raises(ValueError, match="only 10 of apple"):
        inv.reserve("apple", 11)


def test_restock_report_lists_low_items(inv):
    inv.reserve("grape", 65)
    inv.reserve("elder", 45)
    assert inv.restock_report(threshold=8) == ["elder", "grape"]


def test_unknown_sku_is_reported_clearly(inv):
    with pytest.raises(ValueError):
        inv.reserve("kiwi", 1)


@pytest.mark.parametrize("n", range(1, 140))
def test_add_accumulates(n):
    inv = Inventory()
    for _ in range(n):
        inv.add("widget", 3)
    assert inv.items["widget"].qty == 3 * n
`;

const pyTemps = `import math
import pytest


def c_to_f(c):
    return c * 9 / 5 + 32


def mean_temperature(readings):
    return sum(readings) / len(readings)


@pytest.mark.parametrize("c,f", [(0, 32), (100, 212), (-40, -40), (37, 98.6), (21.5, 70.7)])
def test_c_to_f(c, f):
    assert c_to_f(c) == f


def test_mean_of_week():
    week = {"mon": 12.5, "tue": 14.0, "wed": 9.5, "thu": 11.0, "fri": 15.5, "sat": 16.0, "sun": 13.0}
    assert mean_temperature(list(week.values())) == pytest.approx(13.071, abs=1e-3)


def test_mean_of_no_readings_is_nan():
    assert math.isnan(mean_temperature([]))
`;

export const pytestFiles = { "test_inventory.py": pyInventory, "test_temps.py": pyTemps };

// ---------------------------------------------------------------------------- go test

const goMod = `module example.com/ratelimit

go 1.19
`;

const goLimiter = `package ratelimit

import "time"

// Bucket is a token bucket refilled at Rate tokens per second up to Burst.
type Bucket struct {
	Rate   float64
	Burst  float64
	tokens float64
	last   time.Time
}

func New(rate, burst float64, now time.Time) *Bucket {
	return &Bucket{Rate: rate, Burst: burst, tokens: burst, last: now}
}

func (b *Bucket) Allow(now time.Time) bool {
	elapsed := now.Sub(b.last).Seconds()
	b.last = now
	b.tokens += elapsed * b.Rate
	if b.tokens > b.Burst {
		b.tokens = b.Burst
	}
	if b.tokens >= 1 {
		b.tokens--
		return true
	}
	return false
}

// Retry returns the wait before the next token, rounded to whole milliseconds.
func (b *Bucket) Retry() time.Duration {
	if b.tokens >= 1 {
		return 0
	}
	return time.Duration((1 - b.tokens) / b.Rate * 1000) * time.Millisecond
}
`;

const goLimiterTest = `package ratelimit

import (
	"fmt"
	"testing"
	"time"
)

var t0 = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

func TestSteadyRate(t *testing.T) {
	for _, rate := range []float64{0.5, 1, 2, 4, 5, 8, 10, 16, 20, 25, 40, 50, 100} {
		for _, secs := range []int{1, 2, 3, 5, 10, 30} {
			t.Run(fmt.Sprintf("rate=%g/secs=%d", rate, secs), func(t *testing.T) {
				b := New(rate, 1, t0)
				allowed := 0
				steps := int(rate * float64(secs))
				for i := 1; i <= steps; i++ {
					if b.Allow(t0.Add(time.Duration(float64(i) / rate * float64(time.Second)))) {
						allowed++
					}
				}
				if allowed != steps {
					t.Errorf("allowed %d of %d at rate %g over %ds", allowed, steps, rate, secs)
				}
			})
		}
	}
}

func TestBurstIsAllowed(t *testing.T) {
	for burst := 1; burst <= 10; burst++ {
		t.Run(fmt.Sprintf("burst=%d", burst), func(t *testing.T) {
			b := New(1, float64(burst), t0)
			for i := 0; i < burst; i++ {
				if !b.Allow(t0) {
					t.Fatalf("request %d of burst %d was refused", i+1, burst)
				}
			}
			if b.Allow(t0) {
				t.Errorf("request past burst %d was allowed", burst)
			}
		})
	}
}

func TestRefillAfterOneSecond(t *testing.T) {
	b := New(2, 2, t0)
	b.Allow(t0)
	b.Allow(t0)
	if !b.Allow(t0.Add(time.Second)) {
		t.Fatal("no token after one second at rate 2")
	}
}

func TestRetryAfterEmptyBucket(t *testing.T) {
	b := New(4, 1, t0)
	b.Allow(t0)
	if got, want := b.Retry(), 250*time.Millisecond; got != want {
		t.Errorf("Retry() = %v, want %v", got, want)
	}
}

func TestRetryAtFractionalRate(t *testing.T) {
	b := New(0.3, 1, t0)
	b.Allow(t0)
	if got, want := b.Retry(), 3334*time.Millisecond; got != want {
		t.Errorf("Retry() at rate 0.3 = %v, want %v", got, want)
	}
}

func TestBurstCapsRefill(t *testing.T) {
	b := New(100, 3, t0)
	later := t0.Add(time.Hour)
	allowed := 0
	for i := 0; i < 10; i++ {
		if b.Allow(later) {
			allowed++
		}
	}
	if allowed != 4 {
		t.Errorf("after an hour idle, %d requests allowed, want 4 (burst 3)", allowed)
	}
}
`;

export const goTest = { "go.mod": goMod, "limiter.go": goLimiter, "limiter_test.go": goLimiterTest };

// ---------------------------------------------------------------------------- cargo

const cargoToml = (name: string) => `[package]
name = "${name}"
version = "0.1.0"
edition = "2021"

[dependencies]
`;

const cargoLib = `//! A small INI-like config parser.
use std::collections::BTreeMap;

#[derive(Debug, PartialEq)]
pub enum ParseError {
    MissingEquals { line: usize },
    EmptyKey { line: usize },
    UnclosedSection { line: usize },
}

pub type Config = BTreeMap<String, BTreeMap<String, String>>;

pub fn parse(src: &str) -> Result<Config, ParseError> {
    let mut out = Config::new();
    let mut section = String::from("default");
    for (i, raw) in src.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line.starts_with('[') {
            if !line.ends_with(']') {
                return Err(ParseError::UnclosedSection { line: i + 1 });
            }
            section = line[1..line.len() - 1].trim().to_string();
            continue;
        }
        let (k, v) = line.split_once('=').ok_or(ParseError::MissingEquals { line: i + 1 })?;
        let key = k.trim();
        if key.is_empty() {
            return Err(ParseError::EmptyKey { line: i })
        }
        out.entry(section.clone()).or_default().insert(key.to_string(), v.trim().to_string());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_default_section() {
        let c = parse("name = demo\\nport = 8080").unwrap();
        assert_eq!(c["default"]["port"], "8080");
    }

    #[test]
    fn parses_named_sections() {
        let c = parse("[server]\\nhost = 0.0.0.0\\n[client]\\nretries = 3").unwrap();
        assert_eq!(c["server"]["host"], "0.0.0.0");
        assert_eq!(c["client"]["retries"], "3");
    }

    #[test]
    fn skips_comments_and_blank_lines() {
        let c = parse("# top\\n\\n[a]\\n# inner\\nx = 1").unwrap();
        assert_eq!(c["a"].len(), 1);
    }

    #[test]
    fn reports_missing_equals_with_line() {
        assert_eq!(parse("[a]\\nx = 1\\nbroken line"), Err(ParseError::MissingEquals { line: 3 }));
    }

    #[test]
    fn reports_empty_key_with_line() {
        assert_eq!(parse("[a]\\n = 5"), Err(ParseError::EmptyKey { line: 2 }));
    }

    #[test]
    fn reports_unclosed_section() {
        assert_eq!(parse("[oops\\nx = 1"), Err(ParseError::UnclosedSection { line: 1 }));
    }

    #[test]
    fn later_keys_override_earlier_ones() {
        let c = parse("[db]\\npool = 5\\npool = 10").unwrap();
        assert_eq!(c["db"]["pool"], "5");
    }
}
`;

const cargoRoundTrips = Array.from({ length: 120 }, (_, i) => `
    #[test]
    fn round_trip_section_${String(i).padStart(3, "0")}() {
        let src = format!("[s${i}]\\nkey_${i} = value-${i}\\nport = {}", ${8000 + i});
        let c = parse(&src).unwrap();
        assert_eq!(c["s${i}"]["key_${i}"], "value-${i}");
    }`).join("\n");

export const cargoTest = {
  "Cargo.toml": cargoToml("iniparse"),
  "src/lib.rs": cargoLib.replace(/\n}\n$/, `\n${cargoRoundTrips}\n}\n`),
};

const cargoBrokenMain = `use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Write};

struct Ledger {
    entries: Vec<(String, i64)>,
    balances: HashMap<String, i64>,
}

impl Ledger {
    fn new() -> Self {
        Ledger { entries: Vec::new(), balances: HashMap::new() }
    }

    fn record(&mut self, account: &str, cents: i64) {
        let unused_running_total = 0;
        self.entries.push((account.to_string(), cents));
        *self.balances.entry(account.to_string()).or_insert(0) += cents;
    }

    fn balance(&self, account: &str) -> i64 {
        self.balances.get(account).unwrap_or(0)
    }

    fn largest_account(&self) -> Option<&String> {
        self.balances.iter().max_by_key(|(_, v)| *v).map(|(k, _)| k)
    }

    fn export(&self, path: &str) -> io::Result<()> {
        let mut f = File::create(path)?;
        for (acct, cents) in &self.entries {
            writeln!(f, "{},{}", acct, cents)?;
        }
        Ok(())
    }
}

fn parse_amount(s: &str) -> i64 {
    let trimmed = s.trim_start_matches('$');
    let value: f64 = trimmed.parse();
    (value * 100.0) as i64
}

fn main() {
    let mut ledger = Ledger::new();
    let mut input = String::new();
    io::stdin().read_to_string(&mut input).unwrap();
    for line in input.lines() {
        let parts: Vec<&str> = line.split(',').collect();
        ledger.record(parts[0], parse_amount(parts[1]));
    }
    let top: String = ledger.largest_account();
    println!("top account: {}", top);
    let total_owed = ledger.balance("payables") + "0";
    ledger.export(String::from("out.csv"));
    let stale_cache: HashMap<u32, u32> = HashMap::new();
    for i in 0..10 {
        let doubled = i * 2;
    }
    ledger.summarize();
}
`;

export const cargoBroken = { "Cargo.toml": cargoToml("ledger"), "src/main.rs": cargoBrokenMain };

// ---------------------------------------------------------------------------- gcc

const gccSource = `#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_USERS 64

typedef struct {
    int id;
    char name[32];
    double balance;
} user_t;

static user_t users[MAX_USERS];
static int user_count;

int add_user(const char *name, double balance) {
    if (user_count >= MAX_USERS) return -1;
    user_t *u = &users[user_count];
    u->id = user_count + 1;
    strncpy(u->name, name, sizeof u->name);
    u->balance = balance;
    return user_count++;
}

user_t *find_user(int id) {
    for (int i = 0; i < user_count; i++)
        if (users[i].id == id) return users[i];
    return NULL;
}

void print_user(user_t *u) {
    printf("%d %s %d\\n", u->id, u->name, u->balance);
}

double total_balance(void) {
    double sum;
    for (int i = 0; i <= user_count; i++)
        sum += users[i].balance;
}

int transfer(int from, int to, double amount) {
    user_t *a = find_user(from), *b = find_user(to);
    if (!a || !b) return -1;
    if (a->balance < amount) return -2
    a->balance -= amount;
    b->balance += amount;
    return 0;
}

int parse_line(char *line, char **name, double *balance) {
    char *comma = strchr(line, ',');
    if (comma == NULL) return 0;
    *comma = '\\0';
    *name = line;
    *balance = atof(comma + 1);
    return 1
}

int main(int argc, char **argv) {
    FILE *f = fopen(argv[1], "r");
    char buf[256];
    while (fgets(buf, sizeof buf, f)) {
        char *name; double bal;
        if (parse_line(buf, &name, bal)) add_user(name, bal);
    }
    for (int i = 0; i < user_count; i++) print_user(users[i]);
    printf("total: %f\\n", total_balance());
    int rc = transfer(1, 2, "10.0");
    undeclared_cleanup(f);
    return rc;
}
`;

export const gccFiles = { "ledger.c": gccSource };

// ---------------------------------------------------------------------------- tracebacks

const pyCrash = `"""Loads a nested pipeline description and validates each stage (crashes on bad input)."""
import json


class StageError(Exception):
    pass


def load_pipeline(text):
    return json.loads(text)


def validate_retry_policy(policy, path):
    return int(policy["max_attempts"]) * float(policy["backoff_seconds"])


def validate_stage(stage, path):
    if "retry" in stage:
        validate_retry_policy(stage["retry"], path + ".retry")
    validate_children(stage.get("children", []), path)


def validate_children(children, path):
    for i, child in enumerate(children):
        validate_stage(child, f"{path}.children[{i}]")


def validate_pipeline(doc):
    for name, stage in doc["stages"].items():
        try:
            validate_stage(stage, f"stages.{name}")
        except (KeyError, ValueError, TypeError) as e:
            raise StageError(f"invalid stage {name!r}") from e


def build_nested(depth, leaf):
    node = leaf
    for i in range(depth):
        node = {"name": f"level-{depth - i}", "children": [node]}
    return node


def main():
    leaf = {"name": "upload-artifacts", "retry": {"max_attempts": "three", "backoff_seconds": 2.5}}
    doc = {"stages": {"lint": {"name": "lint"}, "deploy-eu-west": build_nested(24, leaf)}}
    validate_pipeline(load_pipeline(json.dumps(doc)))


if __name__ == "__main__":
    main()
`;

export const pyTraceback = { "pipeline.py": pyCrash };

const nodeCrash = `// Walks a dependency graph depth-first and resolves each node's version range.
const graph = {};
const names = ["app"];
for (let i = 1; i <= 40; i++) names.push("pkg-" + String(i).padStart(2, "0"));
for (let i = 0; i < names.length - 1; i++) graph[names[i]] = { range: "^1." + i + ".0", deps: [names[i + 1]] };
graph[names[names.length - 1]] = { range: "~banana", deps: [] };

function parseRange(name, range) {
  const m = /^([~^])(\\d+)\\.(\\d+)\\.(\\d+)$/.exec(range);
  if (!m) throw new RangeError(\`invalid semver range "\${range}" for \${name}\`);
  return { op: m[1], major: +m[2], minor: +m[3], patch: +m[4] };
}

function resolveNode(name, seen) {
  const node = graph[name];
  node.resolved = parseRange(name, node.range);
  return visitDeps(name, node.deps, seen);
}

function visitDeps(parent, deps, seen) {
  for (const dep of deps) {
    if (seen.has(dep)) continue;
    seen.add(dep);
    resolveNode(dep, seen);
  }
  return seen.size;
}

function resolveAll(root) {
  return resolveNode(root, new Set([root]));
}

console.log("resolving", names.length, "packages");
resolveAll("app");
`;

export const nodeTraceback = { "resolve.js": nodeCrash };
