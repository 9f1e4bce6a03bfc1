// ABI of the snarkjs Groth16 verifiers' verifyProof, so callers need no compiled artifact types.

export const ownershipVerifierAbi = [
  {
    type: "function",
    name: "verifyProof",
    stateMutability: "view",
    inputs: [
      { name: "_pA", type: "uint256[2]" },
      { name: "_pB", type: "uint256[2][2]" },
      { name: "_pC", type: "uint256[2]" },
      { name: "_pubSignals", type: "uint256[5]" },
    ],
    outputs: [{ name: "", type: "bool" }],
  },
] as const;

/** verifyProof of a verifier with `nPublic` public signals (inference: 2 + outputs). */
export function groth16VerifierAbi(nPublic: number) {
  return [
    {
      type: "function",
      name: "verifyProof",
      stateMutability: "view",
      inputs: [
        { name: "_pA", type: "uint256[2]" },
        { name: "_pB", type: "uint256[2][2]" },
        { name: "_pC", type: "uint256[2]" },
        { name: "_pubSignals", type: `uint256[${nPublic}]` },
      ],
      outputs: [{ name: "", type: "bool" }],
    },
  ] as const;
}
