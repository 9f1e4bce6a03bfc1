// snarkjs keeps a bn128 curve with worker threads in globalThis.curve_bn128; the process
// cannot exit until it is terminated. Call once at the end of a script or test run.
export async function terminateCurve(): Promise<void> {
  const g = globalThis as { curve_bn128?: { terminate(): Promise<void> } | null };
  const curve = g.curve_bn128;
  if (curve) {
    g.curve_bn128 = null;
    await curve.terminate();
  }
}
