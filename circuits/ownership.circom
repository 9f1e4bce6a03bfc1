pragma circom 2.1.0;

include "circomlib/circuits/poseidon.circom";

// Proves knowledge of ownerSecret with Poseidon(weightsCommitment, ownerSecret) == ownerCommitment.
// claimant (uint160 address), modelId and nonce are public so the proof is bound to them:
// a proof for one address, model or nonce does not verify for another.
template Ownership() {
    signal input weightsCommitment;
    signal input ownerCommitment;
    signal input claimant;
    signal input modelId;
    signal input nonce;
    signal input ownerSecret;

    component h = Poseidon(2);
    h.inputs[0] <== weightsCommitment;
    h.inputs[1] <== ownerSecret;
    ownerCommitment === h.out;

    // Public inputs that appear in no constraint could be malleated; squaring pins them.
    signal claimantSq <== claimant * claimant;
    signal modelIdSq <== modelId * modelId;
    signal nonceSq <== nonce * nonce;
}

component main {public [weightsCommitment, ownerCommitment, claimant, modelId, nonce]} = Ownership();
