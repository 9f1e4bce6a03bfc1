// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title ILicenseeStaking
/// @notice The stake a licensee holds for a model, as read by the licence contract.
interface ILicenseeStaking {
    /// @notice Bonded (not unbonding) stake of `account` for `modelId`.
    function stakeOf(address account, uint256 modelId) external view returns (uint256);
}
