/**
 * `modelvault/contracts`: the contracts' typed ABIs (and bytecode) for viem, the Groth16
 * verifiers' ABI, and the type of the deployment record `npm run deploy` writes.
 */
export * from "./abi/index.js";
export { groth16VerifierAbi } from "../zkp/verifier-abi.js";
export type { Deployment } from "../node/chain/deployment.js";
