// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ModelRegistry} from "./ModelRegistry.sol";
import {PullPayments} from "./PullPayments.sol";

/// @title RevenueSplit
/// @notice Splits licence revenue between a model's owner and the custodians of the version sold,
///         in O(1) per sale: each version accrues an owner amount and a per-custodian amount that
///         every custodian claims for itself (no loop over the set). Rounding dust goes to the owner,
///         so the split always adds up to the price exactly.
abstract contract RevenueSplit is ModelRegistry, PullPayments {
    /// @notice Share of each sale, in basis points, that goes to the version's custodians.
    uint16 public immutable custodianShareBps;

    struct Revenue {
        uint128 ownerDue; // unclaimed owner revenue of this version
        uint128 perCustodian; // cumulative revenue owed to each custodian of this version
    }

    /// @notice Accrued revenue per model version.
    mapping(uint256 modelId => mapping(uint16 version => Revenue)) public revenue;
    /// @notice Part of `perCustodian` each custodian has already claimed.
    mapping(uint256 modelId => mapping(uint16 version => mapping(address => uint128))) public custodianClaimed;

    /// @notice `account` moved `amount` of a version's revenue into its withdrawable balance.
    event RevenueClaimed(uint256 indexed modelId, uint16 indexed version, address indexed account, uint256 amount);

    error InvalidShare(uint256 bps);
    error NothingToClaim(uint256 modelId, uint16 version, address account);

    constructor(uint16 shareBps) {
        if (shareBps > 10_000) revert InvalidShare(shareBps);
        custodianShareBps = shareBps;
    }

    /// @notice Credits the caller's owner and/or custodian revenue of a version to its balance
    ///         (then call withdraw). The owner at claim time receives the owner part.
    /// @param modelId The model.
    /// @param version The version whose sales are claimed.
    function claimRevenue(uint256 modelId, uint16 version) external {
        uint256 amount = pendingRevenue(modelId, version, msg.sender);
        if (amount == 0) revert NothingToClaim(modelId, version, msg.sender);
        Revenue storage r = revenue[modelId][version];
        if (_models[modelId].owner == msg.sender) r.ownerDue = 0;
        if (_isCustodian[modelId][version][msg.sender]) custodianClaimed[modelId][version][msg.sender] = r.perCustodian;
        emit RevenueClaimed(modelId, version, msg.sender, amount);
        _credit(msg.sender, amount);
    }

    /// @notice Revenue of a version that `account` could claim now.
    /// @param modelId The model.
    /// @param version The version.
    /// @param account Owner or custodian.
    function pendingRevenue(uint256 modelId, uint16 version, address account) public view returns (uint256 amount) {
        Revenue storage r = revenue[modelId][version];
        if (_models[modelId].owner == account) amount = r.ownerDue;
        if (_isCustodian[modelId][version][account]) {
            amount += r.perCustodian - custodianClaimed[modelId][version][account];
        }
    }

    function _splitRevenue(uint256 modelId, uint16 version, uint256 custodians, uint256 amount) internal {
        if (amount == 0) return;
        uint256 each = amount * custodianShareBps / 10_000 / custodians;
        Revenue storage r = revenue[modelId][version];
        (r.ownerDue, r.perCustodian) = (r.ownerDue + uint128(amount - each * custodians), r.perCustodian + uint128(each));
    }
}
