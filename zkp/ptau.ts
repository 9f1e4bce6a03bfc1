// Powers of tau: a ceremony file by path (production) or a locally made, INSECURE dev file.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import * as snarkjs from "snarkjs";

/** Power generated when no cached dev ptau is big enough: one file then serves every CI circuit. */
export const DEFAULT_DEV_POWER = 12;
/** Public, fixed beacon: anyone can recompute the dev ptau, which is exactly why it is insecure. */
export const DEV_BEACON_HEX = "6d6f64656c7661756c742d696e7365637572652d6465762d626561636f6e2d31";
const BEACON_ITERATIONS_EXP = 10;

export class PtauError extends Error {
  override name = "PtauError";
}

export interface PtauChoice {
  path: string;
  /** True for the locally made dev file: its toxic waste is public. */
  insecure: boolean;
  /** Power of the file when known (dev files); undefined for a ceremony file. */
  power: number | undefined;
}

export function ptauCacheDir(): string {
  return process.env.MODELVAULT_PTAU_CACHE ?? join(homedir(), ".cache", "modelvault", "ptau");
}

function devPtauPath(power: number): string {
  return join(ptauCacheDir(), `pot${power}_dev.ptau`);
}

function cachedDevPowers(): number[] {
  const dir = ptauCacheDir();
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((f) => /^pot(\d+)_dev\.ptau$/.exec(f)?.[1])
    .filter((p): p is string => p !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}

export function warnInsecure(path: string): void {
  const bar = "!".repeat(78);
  console.warn(
    `${bar}\n!! INSECURE DEV CEREMONY: ${path}\n` +
      "!! Its randomness comes from a public beacon, so anyone can forge proofs for keys made\n" +
      "!! from it. Use only for development and tests. Production: --ptau FILE or MODELVAULT_PTAU\n" +
      `!! pointing to a real powers-of-tau ceremony file.\n${bar}`,
  );
}

/**
 * The ptau to use for a circuit that needs 2^power. An explicit path (argument, then
 * MODELVAULT_PTAU) wins; otherwise the smallest cached dev file that is big enough, made
 * on first use (deterministic: new accumulator + fixed beacon + phase 2 preparation) unless
 * makeDevPtau is false, which throws PtauError instead of spending minutes to hours on it.
 */
export async function resolvePtau(power: number, explicit?: string, opts: { quiet?: boolean; makeDevPtau?: boolean } = {}): Promise<PtauChoice> {
  const given = explicit ?? process.env.MODELVAULT_PTAU;
  if (given) {
    const path = resolve(given);
    if (!existsSync(path)) throw new PtauError(`ceremony ptau file not found: ${path}`);
    return { path, insecure: false, power: undefined };
  }
  const cached = cachedDevPowers().find((p) => p >= power);
  const devPower = cached ?? Math.max(power, DEFAULT_DEV_POWER);
  const path = devPtauPath(devPower);
  if (cached === undefined && opts.makeDevPtau === false) {
    throw new PtauError(
      `needs a 2^${power} powers of tau: none cached in ${ptauCacheDir()} (make one with \`npm run build:circuits -- --bench\`, 2^15 takes ~30 min, or pass MODELVAULT_PTAU)`,
    );
  }
  if (cached === undefined) await makeDevPtau(devPower, path);
  if (!opts.quiet) warnInsecure(path);
  return { path, insecure: true, power: devPower };
}

async function makeDevPtau(power: number, path: string): Promise<void> {
  if (power < 1 || power > 28) throw new PtauError(`ptau power out of range: ${power}`);
  mkdirSync(ptauCacheDir(), { recursive: true });
  warnInsecure(path);
  console.warn(`making dev ptau 2^${power} (slow: 2^12 takes minutes, 2^16 about 40 min on 2 cores)`);
  const tmp = `${path}.${process.pid}.tmp`;
  const files = [`${tmp}.0`, `${tmp}.1`, tmp];
  try {
    const curve = await snarkjs.curves.getCurveFromName("bn128");
    await snarkjs.powersOfTau.newAccumulator(curve, power, files[0]!);
    const ok = await snarkjs.powersOfTau.beacon(
      files[0]!,
      files[1]!,
      "modelvault insecure dev beacon",
      DEV_BEACON_HEX,
      BEACON_ITERATIONS_EXP,
    );
    if (ok === false) throw new PtauError("snarkjs rejected the dev beacon");
    await snarkjs.powersOfTau.preparePhase2(files[1]!, tmp);
    renameSync(tmp, path); // atomic: a killed build never leaves a half-written cache entry
  } finally {
    for (const f of files) rmSync(f, { force: true });
  }
}
