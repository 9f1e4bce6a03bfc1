// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title ICustodianRegistry
/// @notice What the registry and the storage challenges need from the custodian stake registry.
interface ICustodianRegistry {
    /// @notice True when `account` is registered and its bonded stake is at least the minimum.
    function isActive(address account) external view returns (bool);

    /// @notice Receives the pool's part of slashed stake (and the bonds of lapsed challenges).
    function pool() external view returns (address);

    /// @notice Marks one more open challenge against `custodian` (blocks its unbonded withdrawal).
    function lockForChallenge(address custodian) external;

    /// @notice Clears one open challenge after a valid response.
    function releaseChallenge(address custodian) external;

    /// @notice Slashes `slashBps` of the custodian's total (bonded + unbonding) stake, credits
    ///         `rewardBps` of it to the challenger and the rest to the pool, and clears one open challenge.
    function slash(address custodian, uint16 slashBps, address challenger, uint16 rewardBps)
        external
        returns (uint256 slashed);
}
