// ABI of the snarkjs Groth16 verifiers' verifyProof, so callers need no compiled artifact types.

/** verifyProof of a verifier with `nPublic` public signals (inference: 2 + outputs). */
export function groth16VerifierAbi<const N extends number>(nPublic: N) {
  return [
    {
      type: "function",
      name: "verifyProof",
      stateMutability: "view",
      inputs: [
        { name: "_pA", type: "uint256[2]" },
        { name: "_pB", type: "uint256[2][2]" },
        { name: "_pC", type: "uint256[2]" },
        { name: "_pubSignals", type: `uint256[${nPublic}]` as `uint256[${N}]` },
      ],
      outputs: [{ name: "", type: "bool" }],
    },
  ] as const;
}

/** The ownership verifier: [weightsCommitment, ownerCommitment, claimant, modelId, nonce]. */
export const ownershipVerifierAbi = groth16VerifierAbi(5);
