/**
 * A model's proof attestations, each verifiable in the page: the proof is read back from the
 * attesting transaction's calldata (ProofAttestations.attestOwnership / attestInference) and
 * checked with the SDK's verifyProof, against the version's registered commitments. With a
 * verification key file, snarkjs checks it here (its chunk loads on first use, never on a first
 * visit); without one, the deployed verifier contract answers (a view call).
 */
import { decodeFunctionData, type Address, type Hex } from "viem";
import { proofAttestationsAbi, type AttestationView, type Groth16Proof, type Groth16VerificationKey, type ProofVerification } from "../../sdk/index.js";
import type { AppContext } from "../context.js";
import type { Page } from "../router.js";
import { errorBanner } from "../ui/error-banner.js";
import { shortAddress } from "../ui/format.js";
import { h, replace } from "../ui/h.js";

interface AttestedProof {
  kind: "ownership" | "inference";
  proof: Groth16Proof;
  publicSignals: string[];
  claimant: Address;
}

type Point = readonly [bigint, bigint];

/** The proof as snarkjs writes it, from the verifier calldata (whose G2 coordinates are swapped for the EVM). */
export function proofFromCalldata(a: Point, b: readonly [Point, Point], c: Point): Groth16Proof {
  const s = (x: bigint) => x.toString();
  return {
    pi_a: [s(a[0]), s(a[1]), "1"],
    pi_b: [[s(b[0][1]), s(b[0][0])], [s(b[1][1]), s(b[1][0])], ["1", "0"]],
    pi_c: [s(c[0]), s(c[1]), "1"],
    protocol: "groth16",
    curve: "bn128",
  };
}

async function attestedProof(ctx: AppContext, txHash: Hex): Promise<AttestedProof> {
  const tx = await ctx.publicClient().getTransaction({ hash: txHash });
  const call = decodeFunctionData({ abi: proofAttestationsAbi, data: tx.input });
  if (call.functionName !== "attestOwnership" && call.functionName !== "attestInference") throw new Error(`transaction ${txHash} is not an attestation`);
  const [, a, b, c, signals] = call.args as unknown as [bigint, Point, [Point, Point], Point, readonly bigint[]];
  return { kind: call.functionName === "attestOwnership" ? "ownership" : "inference", proof: proofFromCalldata(a, b, c), publicSignals: signals.map(String), claimant: tx.from };
}

async function readKey(input: HTMLInputElement): Promise<Groth16VerificationKey | undefined> {
  const file = input.files?.[0];
  return file === undefined ? undefined : (JSON.parse(await file.text()) as Groth16VerificationKey);
}

function result(verdict: ProofVerification): HTMLElement {
  return h("p", { class: verdict.valid ? "verdict valid" : "verdict invalid", "data-valid": String(verdict.valid), "data-method": verdict.method },
    verdict.valid ? `Valid (${verdict.method === "snarkjs" ? "checked in this page with snarkjs" : `checked by the verifier contract ${shortAddress(verdict.verifier ?? "")}`}).` : `Not valid: ${verdict.reason ?? "the proof does not verify"}.`);
}

export const proofsPage: Page = {
  pattern: "/models/:id/proofs",
  title: "Proofs",
  async render(ctx, params, signal) {
    const modelId = BigInt(params.id!);
    const info = await ctx.sdk().modelInfo(modelId);
    const attestations = info.attestations.filter((a): a is AttestationView & { kind: "ownership" | "inference" } => a.kind !== "inferenceVerifier");
    const keyInput = h("input", { type: "file", id: "verification-key", accept: ".json,application/json" });
    const rows = attestations.map((attestation) => {
      const outcome = h("div", { class: "outcome" });
      const verify = async () => {
        replace(outcome, h("span", { class: "muted" }, "Verifying…"));
        try {
          const { kind, proof, publicSignals, claimant } = await attestedProof(ctx, attestation.txHash);
          if (signal.aborted) return;
          const verificationKey = await readKey(keyInput);
          const verdict = await ctx.sdk().verifyProof({
            kind, proof, publicSignals, modelId, ...(attestation.version === null ? {} : { version: attestation.version }),
            ...(kind === "ownership" ? { claimant } : {}), ...(verificationKey === undefined ? {} : { verificationKey }),
          });
          replace(outcome, result(verdict));
        } catch (error) {
          replace(outcome, errorBanner(error));
        }
      };
      return h("tr", { "data-tx": attestation.txHash },
        h("td", {}, attestation.kind), h("td", {}, attestation.version ?? "—"),
        h("td", { title: attestation.account ?? "" }, attestation.account === null ? "—" : shortAddress(attestation.account)),
        h("td", {}, String(attestation.blockNumber)),
        h("td", {}, h("button", { type: "button", class: "verify", onclick: () => void verify() }, "Verify"), outcome));
    });
    return h("section", { class: "proofs" },
      h("h1", {}, `Proofs of model ${modelId}`),
      !info.attestationsDeployed && h("p", { class: "warning" }, "This deployment has no ProofAttestations contract: no proofs are attested."),
      h("p", {}, h("label", { for: "verification-key" }, "Verification key (verification_key.json of the circuit build, optional): "), keyInput),
      h("p", { class: "muted" }, "With a key, the proof is checked in this page (snarkjs); without one, the deployment's verifier contract checks it."),
      attestations.length === 0
        ? h("p", { class: "empty" }, "No proof is attested for this model yet.")
        : h("table", {}, h("thead", {}, h("tr", {}, ["Kind", "Version", "Prover", "Block", ""].map((title) => h("th", { scope: "col" }, title)))), h("tbody", {}, rows)),
    );
  },
};
