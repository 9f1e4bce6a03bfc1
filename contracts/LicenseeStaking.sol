// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {DeployerBinding} from "./DeployerBinding.sol";
import {IModelVault} from "./interfaces/IModelVault.sol";
import {ILicenseeStaking} from "./interfaces/ILicenseeStaking.sol";

/// @title LicenseeStaking
/// @notice Licensees stake ether per model to meet its minimum stake. The part a live licence
///         requires stays locked; the rest can be unstaked, then withdrawn after a cooldown.
///         Bound (DeployerBinding) to the ModelVault whose licences it serves.
contract LicenseeStaking is ILicenseeStaking, DeployerBinding, ReentrancyGuard {
    struct Stake {
        uint128 amount; // bonded: counts for requestKey
        uint128 unbonding; // requested out, withdrawable at unlockAt
        uint64 unlockAt;
    }

    /// @notice Seconds between an unstake request and its withdrawal.
    uint64 public immutable cooldown;
    /// @notice Stake per licensee and model.
    mapping(address account => mapping(uint256 modelId => Stake)) public stakes;

    event Staked(address indexed account, uint256 indexed modelId, uint256 amount, uint256 total);
    event UnstakeRequested(address indexed account, uint256 indexed modelId, uint256 amount, uint64 unlockAt);
    event Unstaked(address indexed account, uint256 indexed modelId, uint256 amount);

    error ZeroAmount();
    error UnknownModel(uint256 modelId);
    error AmountExceedsStake(uint256 amount, uint256 staked);
    error StakeLocked(uint256 required, uint256 remaining);
    error NothingUnbonding();
    error CooldownActive(uint64 unlockAt);

    /// @param cooldownSeconds Seconds between an unstake request and its withdrawal.
    constructor(uint64 cooldownSeconds) {
        cooldown = cooldownSeconds;
    }

    /// @notice Adds the sent ether to the caller's stake for `modelId`.
    /// @param modelId A registered model.
    function stake(uint256 modelId) external payable {
        if (msg.value == 0) revert ZeroAmount();
        (address owner,,) = IModelVault(_peer()).modelState(modelId);
        if (owner == address(0)) revert UnknownModel(modelId);
        Stake storage s = stakes[msg.sender][modelId];
        uint128 total = s.amount + uint128(msg.value);
        s.amount = total;
        emit Staked(msg.sender, modelId, msg.value, total);
    }

    /// @notice Starts the cooldown for `amount` of the caller's stake; what stays must cover the
    ///         stake a live licence requires. A new request restarts the cooldown for all unbonding.
    /// @param modelId The model.
    /// @param amount Wei to unstake.
    function requestUnstake(uint256 modelId, uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        Stake storage s = stakes[msg.sender][modelId];
        if (amount > s.amount) revert AmountExceedsStake(amount, s.amount);
        uint256 remaining = s.amount - amount;
        uint256 required = IModelVault(_peer()).requiredStake(modelId, msg.sender);
        if (remaining < required) revert StakeLocked(required, remaining);
        uint64 unlockAt = uint64(block.timestamp) + cooldown;
        (s.amount, s.unbonding, s.unlockAt) = (uint128(remaining), s.unbonding + uint128(amount), unlockAt);
        emit UnstakeRequested(msg.sender, modelId, amount, unlockAt);
    }

    /// @notice Sends the caller its unbonding stake for `modelId` once the cooldown is over.
    /// @param modelId The model.
    function withdraw(uint256 modelId) external nonReentrant {
        Stake storage s = stakes[msg.sender][modelId];
        uint256 amount = s.unbonding;
        if (amount == 0) revert NothingUnbonding();
        if (block.timestamp < s.unlockAt) revert CooldownActive(s.unlockAt);
        s.unbonding = 0;
        emit Unstaked(msg.sender, modelId, amount);
        Address.sendValue(payable(msg.sender), amount);
    }

    /// @inheritdoc ILicenseeStaking
    function stakeOf(address account, uint256 modelId) external view returns (uint256) {
        return stakes[account][modelId].amount;
    }
}
