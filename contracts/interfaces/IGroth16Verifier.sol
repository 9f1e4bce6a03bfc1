// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IOwnershipVerifier
/// @notice The snarkjs-generated Groth16 verifier of circuits/ownership.circom.
/// @dev Public signals, in order: [weightsCommitment, ownerCommitment, claimant, modelId, nonce].
interface IOwnershipVerifier {
    /// @notice True when the proof is valid for the public signals.
    function verifyProof(
        uint256[2] calldata pA,
        uint256[2][2] calldata pB,
        uint256[2] calldata pC,
        uint256[5] calldata pubSignals
    ) external view returns (bool);
}

/// @title IWellFormedVerifier
/// @notice The snarkjs-generated Groth16 verifier of an architecture's well-formedness circuit
///         (WellformedVerifier_<sizes>): every lane of every committed element is in range.
/// @dev Public signals: [weightsCommitment].
interface IWellFormedVerifier {
    /// @notice True when the proof is valid for the public signal.
    function verifyProof(
        uint256[2] calldata pA,
        uint256[2][2] calldata pB,
        uint256[2] calldata pC,
        uint256[1] calldata pubSignals
    ) external view returns (bool);
}

/// @title IGroth16Verifier
/// @notice Shape shared by every snarkjs Groth16 verifier. Inference verifiers take
///         `uint256[K]` public signals ([weightsCommitment, inputHash, y_0 .. y_{K-3}]); since K
///         varies per architecture, ProofAttestations calls them with a selector computed for K.
interface IGroth16Verifier {
    /// @notice The K = 3 instance of the signature, used for the selector's documentation only.
    function verifyProof(
        uint256[2] calldata pA,
        uint256[2][2] calldata pB,
        uint256[2] calldata pC,
        uint256[3] calldata pubSignals
    ) external view returns (bool);
}
