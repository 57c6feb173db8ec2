// Runs every benchmark in sequence; each prints its own ratios against a baseline
// measured in the same run.
const benches = ["proxy-overhead.ts", "memory.ts", "startup.ts", "install.ts", "wrap.ts", "compression/run.ts", "compression/real.ts", "compression/overhead.ts", "cache-bill/run.ts"];
for (const b of benches) {
  const file = `${import.meta.dir}/${b}`;
  if (!(await Bun.file(file).exists())) {
    console.log(`-- ${b}: not present, skipped`);
    continue;
  }
  console.log(`\n== ${b}`);
  const proc = Bun.spawn([process.execPath, file], { stdout: "inherit", stderr: "inherit" });
  const code = await proc.exited;
  if (code !== 0) console.log(`-- ${b} exited ${code}`);
}
