// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IModelVault
/// @notice The read surface of the model registry and licences that the staking, challenge and
///         attestation contracts rely on.
interface IModelVault {
    /// @notice Lifecycle of a model: Active sells licences, Paused halts sales, Retired is final.
    enum Status {
        Active,
        Paused,
        Retired
    }

    /// @notice Owner, current version and status of a model; owner is zero for unknown ids.
    function modelState(uint256 modelId) external view returns (address owner, uint16 version, Status status);

    /// @notice Whether `account` is in the custodian set of `modelId` at `version`.
    function isCustodian(uint256 modelId, uint16 version, address account) external view returns (bool);

    /// @notice The keccak256 Merkle root over the ciphertext's 1 KiB segments and their count.
    function storageCommitment(uint256 modelId, uint16 version)
        external
        view
        returns (bytes32 root, uint32 segmentCount);

    /// @notice The Poseidon commitments (BN254 field elements) registered for a version.
    function commitments(uint256 modelId, uint16 version)
        external
        view
        returns (uint256 weightsCommitment, uint256 ownerCommitment);

    /// @notice The stake `account` must keep staked for `modelId` while its licence is live (0 if none).
    function requiredStake(uint256 modelId, address account) external view returns (uint256);
}
